"""Requests prepared as the requests session prepares them, its share of the work done once.

For every request, requests merges the session's headers, cookies and netrc credentials,
parses the URL, and reads the environment's proxy and CA settings: about 0.25 ms of CPU,
as much as decoding a whole answer, and a batch sends hundreds of requests to one URL.
None of it depends on the body. So the first request to a URL with given headers is
prepared by the session; the next ones are copies of it that get their own body. A session
that holds a cookie (a server set one) prepares every request itself, since the Cookie
header it sends may change. The environment is read once per URL: it does not change
while perplex runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests


class Preparer:
    """Prepares the requests of one session; shared by threads (it only adds to its caches)."""

    def __init__(self, session: requests.Session, proxies: dict[str, str] | None) -> None:
        self.session = session
        self.proxies = proxies
        self._templates: dict[tuple[str, str, tuple[tuple[str, str], ...]], Any] = {}
        self._environments: dict[str, dict[str, Any]] = {}

    def prepare(
        self, method: str, url: str, headers: dict[str, str], data: bytes | None
    ) -> requests.PreparedRequest:
        """What `session.prepare_request` makes of this request."""
        import requests

        # A body on a GET gets its Content-Length after the template's other headers.
        if len(self.session.cookies) or (data is not None and method in ("GET", "HEAD")):
            return self.session.prepare_request(
                requests.Request(method, url, data=data, headers=headers)
            )
        key = (method, url, tuple(headers.items()))
        template = self._templates.get(key)
        if template is None:
            template = self.session.prepare_request(requests.Request(method, url, headers=headers))
            self._templates[key] = template
        prepared = template.copy()
        if data is not None:
            prepared.prepare_body(data, None)
        return prepared

    def environment(self, url: str) -> dict[str, Any]:
        """What `session.request` would add to a request to `url`: the environment's proxies
        and REQUESTS_CA_BUNDLE; a proxy of ours first, where the environment cannot
        override it."""
        found = self._environments.get(url)
        if found is None:
            found = self.session.merge_environment_settings(
                url, dict(self.proxies or {}), True, None, None
            )
            self._environments[url] = found
        return found
