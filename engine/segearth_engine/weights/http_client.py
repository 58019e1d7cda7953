"""One HTTP(S) request to the hub: through the proxy (CONNECT for https, with Basic authentication), following
redirects, and stoppable from another thread at any moment.

Why our own client (standard library only) and not huggingface_hub's: a 3 GB download must show its progress,
stop within a second when the user cancels (a watcher shuts the socket down, which wakes a blocked read), resume
from a partial file, and take the proxy and hub address as plain values; huggingface_hub's download can do none of
the first three from a caller's thread.
"""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from urllib.parse import urljoin, urlsplit

from segearth_engine import __version__
from segearth_engine.errors import Cancelled, HubError
from segearth_engine.weights.hub_access import HubAccess, proxy_credentials, redact

MAX_REDIRECTS = 10
WATCH_S = 0.1  # how often a transfer looks at the cancel flag
USER_AGENT = f"segearth-engine/{__version__}"


class HubStatusError(HubError):
    """The server answered with an error status; `status`, `code` (the hub's X-Error-Code) and `url` say which."""

    def __init__(self, message: str, status: int, url: str, code: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status, self.url, self.code, self.retry_after = status, url, code, retry_after


class TransientError(HubError):
    """A failure that a retry may mend: a dropped or silent connection, 5xx, 429 (`retry_after` seconds)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Response:
    """An open response: `status`, `headers`, `url` (after redirects), `read(n)`; close() ends the connection."""

    def __init__(self, conn: http.client.HTTPConnection, raw: http.client.HTTPResponse, url: str,
                 watch: _CancelWatch) -> None:
        self.status, self.headers, self.url = raw.status, raw.headers, url
        self._conn, self._raw, self._watch = conn, raw, watch

    def read(self, size: int) -> bytes:
        """Up to `size` bytes as soon as some arrived (b'' at the end); Cancelled or TransientError otherwise."""
        try:
            data = self._raw.read1(size)
        except (OSError, http.client.HTTPException) as exc:
            self._watch.check()
            raise TransientError(f"the connection to {_host(self.url)} broke: {exc}") from None
        self._watch.check()
        return data

    def close(self) -> None:
        self._watch.stop()
        self._conn.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _CancelWatch:
    """Shuts the connection's socket down when `is_cancelled()` turns true, so that a read blocked on a slow or
    silent server returns at once; `check()` then raises Cancelled in the reading thread."""

    def __init__(self, conn: http.client.HTTPConnection, is_cancelled: Callable[[], bool] | None) -> None:
        self._conn, self._is_cancelled = conn, is_cancelled
        self._stop = threading.Event()
        self.fired = False
        if is_cancelled is not None:
            threading.Thread(target=self._watch, name="SegEarth download watch", daemon=True).start()

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_S):
            if self._is_cancelled():
                self.fired = True
                sock = self._conn.sock
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return

    def check(self) -> None:
        if self.fired or (self._is_cancelled is not None and self._is_cancelled()):
            self.fired = True
            raise Cancelled("download cancelled")

    def stop(self) -> None:
        self._stop.set()


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.rsplit("@", 1)[-1] or url


def _ssl_context(access: HubAccess) -> ssl.SSLContext:
    context = ssl.create_default_context()
    try:  # the CA bundle requests ships, where the system's store is missing (macOS python.org builds)
        import certifi

        context.load_verify_locations(certifi.where())
    except (ImportError, OSError):
        pass
    if access.ca_file:
        context.load_verify_locations(access.ca_file)
    return context


def _connection(url: str, access: HubAccess) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
    """A connection for `url` (direct or through the proxy), the request target, and headers the proxy needs."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    timeout = access.connect_timeout_s
    proxy = access.proxy_for(url)
    if proxy is None:
        if parts.scheme == "https":
            return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                               context=_ssl_context(access)), target, {}
        return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout), target, {}
    p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    credentials = proxy_credentials(proxy)
    auth = {}
    if credentials:
        token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode("ascii")
        auth = {"Proxy-Authorization": f"Basic {token}"}
    if parts.scheme == "https":  # a tunnel: the proxy sees the host name, never the request
        conn = http.client.HTTPSConnection(p.hostname, p.port or 8080, timeout=timeout, context=_ssl_context(access))
        conn.set_tunnel(parts.hostname, parts.port or 443, headers=auth)
        return conn, target, {}
    return http.client.HTTPConnection(p.hostname, p.port or 8080, timeout=timeout), url, auth


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = (headers.get("Retry-After") or "").strip()
    if value.isdigit():
        return float(value)
    if value:
        from email.utils import parsedate_to_datetime

        try:
            import time

            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None
    return None


def _status_error(raw: http.client.HTTPResponse, url: str, proxy: str | None) -> HubError:
    """The error for a non-2xx answer, with what a user can do about it."""
    detail = raw.read(4096).decode("utf-8", "replace").strip().replace("\n", " ")[:300]
    host, status = _host(url), raw.status
    code = raw.headers.get("X-Error-Code", "")
    if status == 407:
        return HubError(f"the proxy {redact(proxy or '')} refused the request (407 Proxy Authentication Required): "
                        "check the proxy's user name and password")
    if status == 429 or status >= 500:
        return TransientError(f"{host} answered {status} {raw.reason}" + (f": {detail}" if detail else ""),
                              _retry_after(raw.headers))
    return HubStatusError(f"{host} answered {status} {raw.reason}" + (f" ({detail})" if detail else ""), status,
                          url, code, _retry_after(raw.headers))


def open_url(url: str, access: HubAccess, headers: Mapping[str, str] | None = None,
             is_cancelled: Callable[[], bool] | None = None, method: str = "GET") -> Response:
    """Send one request (redirects followed, the hub's token sent to the hub's host only) and return the open
    2xx response. Raises Cancelled, TransientError (retry may help), HubStatusError or HubError."""
    hub_host = urlsplit(access.endpoint).netloc
    for _ in range(MAX_REDIRECTS + 1):
        conn, target, extra = _connection(url, access)
        sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **extra, **(headers or {})}
        if access.token and urlsplit(url).netloc == hub_host:
            sent["Authorization"] = f"Bearer {access.token}"
        watch = _CancelWatch(conn, is_cancelled)
        try:
            raw = _send(conn, method, target, sent, url, access, watch)
        except BaseException:
            watch.stop()
            conn.close()
            raise
        if raw.status in (301, 302, 303, 307, 308) and raw.headers.get("Location"):
            url = urljoin(url, raw.headers["Location"])
            watch.stop()
            conn.close()
            continue
        if 200 <= raw.status < 300:
            return Response(conn, raw, url, watch)
        try:
            raise _status_error(raw, url, access.proxy_for(url))
        finally:
            watch.stop()
            conn.close()
    raise HubError(f"too many redirects from {access.endpoint} (more than {MAX_REDIRECTS})")


def _send(conn: http.client.HTTPConnection, method: str, target: str, headers: dict[str, str], url: str,
          access: HubAccess, watch: _CancelWatch) -> http.client.HTTPResponse:
    """Connect (HubError at once when nothing answers: retrying an unreachable hub only makes the user wait), then
    send the request and read the answer's head (TransientError when that breaks)."""
    proxy = access.proxy_for(url)
    where = f"{_host(url)}" + (f" through the proxy {redact(proxy)}" if proxy else "")
    try:
        conn.connect()
    except ssl.SSLCertVerificationError as exc:
        watch.check()
        raise HubError(f"the secure connection to {where} failed: {exc.verify_message or exc} (a proxy or antivirus "
                       "that inspects HTTPS? its certificate must be trusted)") from None
    except OSError as exc:
        watch.check()
        text = str(exc)
        if "Tunnel connection failed" in text and "407" in text:
            raise HubError(f"the proxy {redact(proxy or '')} refused the connection (407 Proxy Authentication "
                           "Required): check the proxy's user name and password") from None
        if "Tunnel connection failed" in text:
            raise HubError(f"the proxy {redact(proxy or '')} could not reach {_host(url)}: {text}") from None
        raise HubError(f"could not reach {where}: {text}. Check the network, the proxy settings and the hub "
                       "address") from None
    try:
        conn.sock.settimeout(access.read_timeout_s)
        conn.request(method, target, headers=headers)
        return conn.getresponse()
    except (OSError, http.client.HTTPException) as exc:
        watch.check()
        raise TransientError(f"{where} closed the connection: {type(exc).__name__} {exc}") from None
