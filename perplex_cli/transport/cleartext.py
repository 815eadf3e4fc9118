"""Whether a plain-HTTP request to this machine would still carry the key to another one.

A loopback `http://` base URL keeps the key on this machine, unless the request goes
through a proxy: then the whole request, Authorization header included, travels to the
proxy host in clear text. The proxy that applies is found as the transport finds it (the
one given by --proxy or the config, else requests' own reading of the *_proxy variables
and NO_PROXY), and is refused unless it is on this machine too or spoken to over TLS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from perplex_cli.errors import ConfigError
from perplex_cli.request.settings import environment_proxies, is_loopback


def refuse_cleartext_proxy(base_url: str, chosen: str | None) -> None:
    """ConfigError (exit 3) when a plain-HTTP request to `base_url` would leave through a proxy."""
    proxy = chosen or _environment_proxy(base_url)
    if not proxy:
        return
    if "://" not in proxy:  # as requests reads it: a proxy without a scheme is http://
        proxy = "http://" + proxy
    parts = urlsplit(proxy)
    if parts.scheme.lower() == "https" or is_loopback(parts.hostname or ""):
        return
    where = "--proxy or the config file" if chosen else "the environment"
    raise ConfigError(
        f"refusing to send the API key over plain HTTP through the proxy {parts.hostname} "
        f"(from {where}; base URL {base_url})",
        hint="use an https:// proxy, add the host to NO_PROXY, or --allow-insecure-http "
        "if you really mean it",
    )


def _environment_proxy(url: str) -> str | None:
    """The environment's proxy for url, NO_PROXY honoured, exactly as requests picks it."""
    found = environment_proxies()
    if not (found.get("http") or found.get("all")):
        return None  # the common case, without importing requests (start-up time)
    from requests.utils import get_environ_proxies, select_proxy

    return select_proxy(url, get_environ_proxies(url))
