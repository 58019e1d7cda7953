"""A model hub on 127.0.0.1 for the download tests (engine, plugin, desktop), and an HTTP proxy with Basic auth.

The hub answers what Hugging Face's hub answers for our download: `GET /api/models/REPO/revision/REV?blobs=true`
(the commit and every file's size, git blob id and LFS sha256; `/tree/REV` too, for huggingface_hub), and
`GET/HEAD /REPO/resolve/REV/FILE`, which serves small files itself and redirects weight files to a content address
on another host name (`localhost/cdn/SHA256`), as the hub redirects to its CDN; the content address answers Range
and If-Range requests with ETags. Faults can be switched on while it runs (slow, drop the connection mid-file, one
wrong byte, 401, 429 with Retry-After); an unknown revision gets the hub's 404.
It can also serve HTTPS (a self-signed certificate made with openssl) so that the proxy's CONNECT tunnel is tested.

Run by hand: `python -m tests.local_hub MODEL_DIR [--repo org/name]` serves a folder until Ctrl-C; another process
switches faults with `GET /_control?rate_bps=N&drops=...`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import select
import shutil
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

RELEASE_FILES = ("config.json", "generation_config.json", "README.md", "added_tokens.json", "merges.txt",
                 "special_tokens_map.json", "tokenizer_config.json", "vocab.json", "model.safetensors")


@dataclass
class Faults:
    """What the hub does wrong; change fields while it runs (each request reads them afresh)."""

    rate_bps: int = 0  # >0: file bodies are sent at about this many bytes per second
    drop_after: int = 0  # >0: a file body is cut (connection closed) after this many bytes ...
    drops: int = 0  # ... for this many responses
    wrong_byte_at: int = -1  # >=0: this byte of every weight file is served altered
    unauthorized: bool = False  # every request gets 401
    rate_limited: int = 0  # this many requests get 429 ...
    retry_after_s: int = 1  # ... with this Retry-After


@dataclass
class RepoEntry:
    folder: Path
    commit: str
    files: dict[str, dict] = field(default_factory=dict)  # name -> {"size", "blob", "sha256"|None}


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's blob id


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def release_copy(model_dir: Path, out: Path) -> Path:
    """The files a released repo holds (no manifest, no graphs) copied from a model folder."""
    out.mkdir(parents=True, exist_ok=True)
    for name in RELEASE_FILES:
        if (model_dir / name).is_file():
            shutil.copy2(model_dir / name, out / name)
    return out


def write_payload(path: Path, size: int, seed: int = 0) -> Path:
    """A valid safetensors file of one uint8 tensor of `size` seeded random bytes (a large file to download)."""
    import numpy as np

    header = json.dumps({"payload": {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}}).encode()
    header += b" " * (-len(header) % 8)
    rng = np.random.default_rng(seed)
    with open(path, "wb") as handle:
        handle.write(len(header).to_bytes(8, "little") + header)
        left = size
        while left:
            n = min(left, 1 << 24)
            handle.write(rng.integers(0, 256, n, dtype=np.uint8).tobytes())
            left -= n
    return path


class LocalHub:
    """The hub server. `url` is its address (the hub-address setting / HF_ENDPOINT); `requests` logs what came."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.repos: dict[str, RepoEntry] = {}
        self.faults = Faults()
        self.requests: list[dict] = []
        self.token: str | None = None  # when set, hub requests without "Authorization: Bearer <token>" get 401
        self._lock = threading.Lock()
        hub = self

        class Handler(HubHandler):
            server_hub = hub

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        # weight files are redirected to another host name, as the hub sends them to its CDN (same server here)
        self.cdn_url = f"{scheme}://localhost:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="local hub", daemon=True)
        self._thread.start()

    def add_repo(self, repo_id: str, folder: Path, commit: str | None = None) -> str:
        """Serve `folder`'s files as `repo_id`; returns the commit (a sha1 of the files' digests unless given)."""
        files = {}
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            lfs = path.suffix == ".safetensors"
            files[path.name] = {"size": path.stat().st_size, "blob": git_blob_id(path.read_bytes()) if not lfs else
                                hashlib.sha1(path.name.encode()).hexdigest(),  # noqa: S324
                                "sha256": file_sha256(path) if lfs else None}
        commit = commit or hashlib.sha1(json.dumps(files, sort_keys=True).encode()).hexdigest()  # noqa: S324
        self.repos[repo_id] = RepoEntry(folder, commit, files)
        return commit

    def log(self, entry: dict) -> None:
        with self._lock:
            self.requests.append(entry)

    def ranges_asked(self, name_part: str = "") -> list[str]:
        """The Range headers of the file requests (in order), e.g. ['', 'bytes=1048576-']."""
        with self._lock:
            return [r["range"] for r in self.requests if r["kind"] == "file" and name_part in r["path"]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LocalHub:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class HubHandler(BaseHTTPRequestHandler):
    server_hub: LocalHub
    protocol_version = "HTTP/1.0"

    def log_message(self, *args) -> None:  # quiet
        pass

    # -- routing ---------------------------------------------------------------------------------------------------
    def do_HEAD(self) -> None:  # noqa: N802 - http.server API
        self._route(head=True)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self._route(head=False)

    def _route(self, head: bool) -> None:
        hub = self.server_hub
        path = unquote(urlsplit(self.path).path)
        kind = "api" if path.startswith("/api/") else "file"
        hub.log({"kind": kind, "method": self.command, "path": path, "range": self.headers.get("Range", ""),
                 "if_range": self.headers.get("If-Range", ""), "auth": self.headers.get("Authorization", "")})
        faults = hub.faults
        if path == "/_control":  # another process (the desktop test's QGIS) switches faults: /_control?rate_bps=0
            self._control(urlsplit(self.path).query)
            return
        if faults.rate_limited > 0:
            faults.rate_limited -= 1
            self._error(429, "Too Many Requests", "rate limited", {"Retry-After": str(faults.retry_after_s)})
            return
        bearer = self.headers.get("Authorization", "")
        signed = path.startswith("/cdn/")  # as the hub's CDN addresses, which are signed: no token needed there
        if faults.unauthorized or (hub.token and not signed and bearer != f"Bearer {hub.token}"):
            self._error(401, "Unauthorized", "Invalid credentials in Authorization header")
            return
        if path.startswith("/api/models/") and "/tree/" in path:
            self._tree(path[len("/api/models/"):])
        elif path.startswith("/api/models/"):
            self._listing(path[len("/api/models/"):])
        elif path.startswith("/cdn/"):
            self._blob(path[len("/cdn/"):], head)
        elif "/resolve/" in path:
            self._resolve(path.lstrip("/"), head)
        else:
            self._error(404, "Not Found", "no such route")

    def _control(self, query: str) -> None:
        from urllib.parse import parse_qsl

        faults = self.server_hub.faults
        for key, value in parse_qsl(query):
            if hasattr(faults, key):
                setattr(faults, key, type(getattr(faults, key))(int(value)))
        self._json(faults.__dict__)

    def _repo(self, repo_id: str, revision: str) -> RepoEntry | None:
        entry = self.server_hub.repos.get(repo_id)
        if entry is None:
            self._error(404, "Not Found", "Repository not found", {"X-Error-Code": "RepoNotFound"})
            return None
        if revision != "main" and not (len(revision) >= 7 and entry.commit.startswith(revision)):
            self._error(404, "Not Found", f"Invalid rev id: {revision}", {"X-Error-Code": "RevisionNotFound"})
            return None
        return entry

    # -- endpoints -------------------------------------------------------------------------------------------------
    def _listing(self, rest: str) -> None:
        repo_id, _, revision = rest.partition("/revision/")
        entry = self._repo(repo_id, revision or "main")
        if entry is None:
            return
        siblings = []
        for name, info in entry.files.items():
            sibling = {"rfilename": name, "size": info["size"], "blobId": info["blob"]}
            if info["sha256"]:
                sibling["lfs"] = {"sha256": info["sha256"], "size": info["size"], "pointerSize": 134}
            siblings.append(sibling)
        self._json({"id": repo_id, "modelId": repo_id, "sha": entry.commit, "siblings": siblings})

    def _tree(self, rest: str) -> None:
        """The file tree at a revision (what huggingface_hub's snapshot_download lists)."""
        repo_id, _, revision = rest.partition("/tree/")
        entry = self._repo(repo_id, revision.split("/")[0] or "main")
        if entry is None:
            return
        items = []
        for name, info in entry.files.items():
            item = {"type": "file", "oid": info["blob"], "size": info["size"], "path": name}
            if info["sha256"]:
                item["lfs"] = {"oid": info["sha256"], "size": info["size"], "pointerSize": 134}
            items.append(item)
        self._json(items)

    def _json(self, value) -> None:
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _resolve(self, rest: str, head: bool) -> None:
        repo_part, _, tail = rest.partition("/resolve/")
        revision, _, name = tail.partition("/")
        entry = self._repo(repo_part, revision)
        if entry is None:
            return
        info = entry.files.get(name)
        if info is None:
            self._error(404, "Not Found", "Entry not found", {"X-Error-Code": "EntryNotFound"})
            return
        common = {"X-Repo-Commit": entry.commit, "ETag": f'"{info["sha256"] or info["blob"]}"'}
        if info["sha256"]:  # weights: to the content address, as the hub sends them to its CDN
            self.send_response(302)
            self.send_header("Location", f"{self.server_hub.cdn_url}/cdn/{info['sha256']}")
            self.send_header("X-Linked-Etag", f'"{info["sha256"]}"')
            self.send_header("X-Linked-Size", str(info["size"]))
            for key, value in common.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send_file(entry.folder / name, common["ETag"], head, common)

    def _blob(self, sha: str, head: bool) -> None:
        for entry in self.server_hub.repos.values():
            for name, info in entry.files.items():
                if info["sha256"] == sha:
                    self._send_file(entry.folder / name, f'"{sha}"', head, {}, weights=True)
                    return
        self._error(404, "Not Found", "no such blob")

    # -- bodies ----------------------------------------------------------------------------------------------------
    def _send_file(self, path: Path, etag: str, head: bool, headers: dict, weights: bool = False) -> None:
        size = path.stat().st_size
        start, status = 0, 200
        asked = self.headers.get("Range", "")
        if_range = self.headers.get("If-Range")
        if asked.startswith("bytes=") and (if_range is None or if_range == etag):
            start = int(asked[len("bytes="):].split("-")[0] or 0)
            if start >= size:
                self._error(416, "Range Not Satisfiable", "", {"Content-Range": f"bytes */{size}"})
                return
            status = 206
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(size - start))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.end_headers()
        if not head:
            self._stream(path, start, size, weights)

    def _stream(self, path: Path, start: int, size: int, weights: bool) -> None:
        faults = self.server_hub.faults
        cut = faults.drop_after if faults.drop_after > 0 and faults.drops > 0 and weights else 0
        if cut:
            faults.drops -= 1
        sent, began, offset = 0, time.monotonic(), start
        step = 16384 if faults.rate_bps else 1 << 20
        try:
            with open(path, "rb") as handle:
                handle.seek(start)
                while offset < size:
                    block = bytearray(handle.read(min(step, size - offset)))
                    if weights and offset <= faults.wrong_byte_at < offset + len(block):
                        block[faults.wrong_byte_at - offset] ^= 0xFF
                    if cut and sent + len(block) >= cut:
                        self.wfile.write(block[: cut - sent])
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)  # dropped mid-file
                        return
                    self.wfile.write(block)
                    sent += len(block)
                    offset += len(block)
                    if faults.rate_bps:
                        time.sleep(max(0.0, began + sent / faults.rate_bps - time.monotonic()))
        except (BrokenPipeError, ConnectionResetError, OSError):
            return  # the client went away (a cancel)

    def _error(self, status: int, reason: str, message: str, headers: dict | None = None) -> None:
        body = json.dumps({"error": message}).encode() if message else b""
        self.send_response(status, reason)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class LocalProxy:
    """An HTTP proxy on 127.0.0.1 that wants Basic authentication (user, password): forwards absolute-URI requests
    and tunnels CONNECT. `hits` lists (method, target) of the requests it let through; `refused` counts 407s."""

    def __init__(self, user: str = "ann", password: str = "p@ss:w") -> None:
        self.user, self.password = user, password
        self.hits: list[tuple[str, str]] = []
        self.refused = 0
        proxy = self

        class Handler(ProxyHandler):
            server_proxy = proxy

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, name="local proxy", daemon=True).start()

    def url_with_credentials(self, user: str | None = None, password: str | None = None) -> str:
        from urllib.parse import quote

        user = self.user if user is None else user
        password = self.password if password is None else password
        return f"http://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LocalProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ProxyHandler(BaseHTTPRequestHandler):
    server_proxy: LocalProxy
    protocol_version = "HTTP/1.0"

    def log_message(self, *args) -> None:
        pass

    def _authorised(self) -> bool:
        proxy = self.server_proxy
        expected = base64.b64encode(f"{proxy.user}:{proxy.password}".encode()).decode()
        if self.headers.get("Proxy-Authorization", "") == f"Basic {expected}":
            proxy.hits.append((self.command, self.path))
            return True
        proxy.refused += 1
        self.send_response(407, "Proxy Authentication Required")
        self.send_header("Proxy-Authenticate", 'Basic realm="local proxy"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_CONNECT(self) -> None:  # noqa: N802 - http.server API
        if not self._authorised():
            return
        host, _, port = self.path.rpartition(":")
        upstream = socket.create_connection((host, int(port)), timeout=30)
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.wfile.flush()
        _pipe(self.connection, upstream)

    def do_GET(self) -> None:  # noqa: N802
        self._forward()

    def do_HEAD(self) -> None:  # noqa: N802
        self._forward()

    def _forward(self) -> None:
        import http.client

        if not self._authorised():
            return
        target = urlsplit(self.path)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-authorization", "connection")}
        path = target.path + (f"?{target.query}" if target.query else "")
        conn.request(self.command, path, headers=headers)
        upstream = conn.getresponse()
        self.send_response(upstream.status, upstream.reason)
        for key, value in upstream.getheaders():
            if key.lower() not in ("connection", "transfer-encoding"):
                self.send_header(key, value)
        self.end_headers()
        try:
            while block := upstream.read1(1 << 16):
                self.wfile.write(block)
        except OSError:
            pass
        conn.close()


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    try:
        while True:
            ready, _, _ = select.select([a, b], [], [], 30)
            if not ready:
                return
            for source in ready:
                data = source.recv(1 << 16)
                if not data:
                    return
                (b if source is a else a).sendall(data)
    except OSError:
        return
    finally:
        b.close()


def self_signed_certificate(folder: Path) -> tuple[Path, Path] | None:
    """(certificate, key) for 127.0.0.1 made by openssl, or None when openssl is missing."""
    if shutil.which("openssl") is None:
        return None
    cert, key = folder / "hub.crt", folder / "hub.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    return cert, key


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir")
    parser.add_argument("--repo", default="earth-insights/SegEarth-R1-EarthReason")
    args = parser.parse_args()
    hub = LocalHub()
    commit = hub.add_repo(args.repo, Path(args.model_dir))
    print(f"serving {args.model_dir} as {args.repo}@{commit} at {hub.url} (HF_ENDPOINT={hub.url}); Ctrl-C stops")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        hub.close()


if __name__ == "__main__":
    main()
