"""How to reach the model hub: its address (the Hugging Face hub or a mirror), a token, and the proxy, as plain values.

Why plain values: the engine knows nothing of QGIS; the plugin reads QGIS's network settings and its hub-address
setting into a HubAccess, the command line reads the usual environment variables (`from_environment`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

DEFAULT_ENDPOINT = "https://huggingface.co"


@dataclass(frozen=True)
class HubAccess:
    endpoint: str = DEFAULT_ENDPOINT
    token: str | None = None  # sent to the hub's own host only, never to a redirect target elsewhere
    proxy: str | None = None  # http://[user:password@]host:port for every request not matched by no_proxy
    no_proxy: str = ""  # comma-separated host names or suffixes (".corp.example"), "*" for all
    ca_file: str | None = None  # extra certificates to trust (a proxy that inspects HTTPS)
    connect_timeout_s: float = 15.0
    read_timeout_s: float = 30.0  # a connection silent this long is dropped and resumed

    def __post_init__(self) -> None:
        object.__setattr__(self, "endpoint", (self.endpoint or DEFAULT_ENDPOINT).strip().rstrip("/"))
        if urlsplit(self.endpoint).scheme not in ("http", "https"):
            from segearth_engine.errors import HubError

            raise HubError(f"hub address {self.endpoint!r} is not an http(s) address, e.g. {DEFAULT_ENDPOINT}")
        if self.proxy and urlsplit(self.proxy).scheme not in ("http", ""):
            from segearth_engine.errors import HubError

            raise HubError(f"the proxy {redact(self.proxy)} is not an HTTP proxy; only HTTP proxies (with or without "
                           "a user name and password) are supported for the model download")

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None, **overrides) -> HubAccess:
        """HF_ENDPOINT, HF_TOKEN, HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case), REQUESTS_CA_BUNDLE /
        SSL_CERT_FILE, as Hugging Face's own tools and most command-line tools read them."""
        env = os.environ if env is None else env

        def first(*names: str) -> str | None:
            return next((env[n] for n in names if env.get(n)), None)

        endpoint = overrides.pop("endpoint", None) or first("HF_ENDPOINT") or DEFAULT_ENDPOINT
        scheme = urlsplit(endpoint).scheme
        proxy = first("https_proxy", "HTTPS_PROXY") if scheme == "https" else None
        proxy = proxy or first("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")
        values = {"endpoint": endpoint, "token": first("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"), "proxy": proxy,
                  "no_proxy": first("no_proxy", "NO_PROXY") or "",
                  "ca_file": first("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")}
        values.update(overrides)
        return cls(**values)

    def proxy_for(self, url: str) -> str | None:
        """The proxy that `url` goes through, or None for a direct connection."""
        if not self.proxy:
            return None
        host = (urlsplit(url).hostname or "").lower()
        for entry in (e.strip().lower() for e in self.no_proxy.replace(";", ",").split(",")):
            entry = entry.split("://")[-1].split("/")[0].split(":")[0]
            if entry == "*" or (entry and (host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")))):
                return None
        return self.proxy


def proxy_credentials(proxy: str) -> tuple[str, str] | None:
    """(user, password) from a proxy address, decoded; None when it has no user."""
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    return (unquote(parts.username), unquote(parts.password or "")) if parts.username else None


def redact(url: str) -> str:
    """An address with its password replaced by ***, fit for a message or a log."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.password:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()
