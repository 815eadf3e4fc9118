"""Whether a plain-HTTP request to this machine would still carry the key to another one.

A loopback `http://` base URL keeps the key on this machine, unless the request goes
through a proxy: then the whole request, Authorization header included, travels to the
proxy host in clear text. The proxy that applies is found as the transport finds it (the
one given by --proxy or the config, else requests' own reading of the *_proxy variables
and NO_PROXY), and is refused unless it is on this machine too or spoken to over TLS.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from urllib.parse import urlsplit

from perplex_cli.errors import ConfigError


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


def environment_proxies() -> dict[str, str]:
    """urllib.request.getproxies(): on Linux, the *_proxy variables, lower case first.

    Importing urllib.request for it cost 83M CPU instructions, more than the rest of an
    offline command such as `models`; elsewhere getproxies also reads the
    system's settings, so it is still asked there.
    """
    if sys.platform in ("darwin", "win32"):
        import urllib.request

        return urllib.request.getproxies()
    found: dict[str, str] = {}
    for name, value in os.environ.items():
        if value and name.lower().endswith("_proxy"):
            found[name.lower()[:-6]] = value
    if "REQUEST_METHOD" in os.environ:  # a CGI script: HTTP_PROXY may come from a request header
        found.pop("http", None)
    for name, value in os.environ.items():  # a lower-case suffix wins, and empty clears
        if name.endswith("_proxy"):
            if value:
                found[name.lower()[:-6]] = value
            else:
                found.pop(name.lower()[:-6], None)
    return found


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: traffic that never leaves this machine."""
    host = host.lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback
