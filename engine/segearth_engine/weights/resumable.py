"""One file fetched into a partial file that survives a cancel, a dropped connection or a closed QGIS, resumed with a
Range request, checked against its digest before it takes its final name.

The partial file and a small JSON beside it (address, ETag, expected size and digest) live in a hidden folder in
the model folder (PARTIAL_DIR). A resumed transfer asks for the rest with `Range` and `If-Range: <ETag>`: a server
whose file changed answers with the whole file, which then starts over. The digest is computed while the bytes
arrive (after re-reading what an earlier attempt fetched); a mismatch deletes the partial file, so the next try
starts clean instead of keeping a corrupt file under the final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from segearth_engine.errors import Cancelled, HubError, ModelFilesError
from segearth_engine.weights.http_client import HubStatusError, TransientError, open_url
from segearth_engine.weights.hub_access import HubAccess
from segearth_engine.weights.transfer_meter import TransferMeter

PARTIAL_DIR = ".segearth-partial"
CHUNK = 1 << 20
#: consecutive failed attempts (no byte gained between them) before giving up; waits grow 1, 2, 4, 8... s
MAX_ATTEMPTS = 6
MAX_WAIT_S = 120.0  # a Retry-After longer than this is not waited for: the user is told to come back later
WAIT_STEP_S = 0.1


@dataclass(frozen=True)
class Digest:
    """What a file's bytes must hash to: the LFS sha256 of a weight file, or the git blob id of a small file."""

    kind: str  # "sha256" or "git-sha1"
    value: str

    def hasher(self, size: int):
        if self.kind == "sha256":
            return hashlib.sha256()
        h = hashlib.sha1(usedforsecurity=False)  # git's blob id is sha1 by definition; integrity, not security
        h.update(b"blob %d\0" % size)
        return h


def partial_paths(target: Path) -> tuple[Path, Path]:
    folder = target.parent / PARTIAL_DIR
    return folder / f"{target.name}.part", folder / f"{target.name}.part.json"


def partial_bytes(folder: Path) -> int:
    """Bytes of unfinished downloads kept in a model folder (what Download again will not fetch twice)."""
    parts = (folder / PARTIAL_DIR).glob("*.part") if (folder / PARTIAL_DIR).is_dir() else ()
    return sum(p.stat().st_size for p in parts)


def wait(seconds: float, is_cancelled: Callable[[], bool] | None) -> None:
    """Sleep, but return by raising Cancelled within WAIT_STEP_S of a cancel."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if is_cancelled is not None and is_cancelled():
            raise Cancelled("download cancelled")
        time.sleep(min(WAIT_STEP_S, max(0.0, end - time.monotonic())))


def retry_delay(exc: TransientError, attempt: int, is_cancelled, meter: TransferMeter) -> None:
    """Wait before the next attempt: as long as the server asked (Retry-After), else 1, 2, 4... s."""
    delay = exc.retry_after if exc.retry_after is not None else min(2.0 ** (attempt - 1), 30.0)
    if delay > MAX_WAIT_S:
        raise HubError(f"{exc}; the hub asks to wait {delay:.0f} s before trying again: download again later "
                       "(what was fetched is kept)") from None
    why = f"the hub asked to wait {delay:.0f} s" if exc.retry_after is not None else f"{exc}; retrying in {delay:.0f} s"
    meter.set("waiting", note=why)
    wait(delay, is_cancelled)


class _Partial:
    """The partial file of `target`: how much of it is there, and its hash so far."""

    def __init__(self, target: Path, url: str, size: int, digest: Digest) -> None:
        self.path, self.meta_path = partial_paths(target)
        self.size, self.digest = size, digest
        self.identity = {"url": url, "size": size, "digest": f"{digest.kind}:{digest.value}"}
        self.etag = ""
        self.hasher = digest.hasher(size)
        self.offset = 0

    def resume(self, meter: TransferMeter, is_cancelled) -> None:
        """Keep what an earlier attempt fetched of the same file (same address, size and digest); hash it."""
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        kept = self.path.stat().st_size if self.path.is_file() else 0
        if not isinstance(meta, dict) or {k: meta.get(k) for k in self.identity} != self.identity or kept > self.size:
            self.restart()
            return
        self.etag = str(meta.get("etag") or "")
        meter.set("checking", note="reading what was fetched before")
        with open(self.path, "rb") as handle:
            while self.offset < kept:
                block = handle.read(min(CHUNK * 8, kept - self.offset))
                if not block:
                    break
                self.hasher.update(block)
                self.offset += len(block)
                meter.add(len(block))
                if is_cancelled is not None and is_cancelled():
                    raise Cancelled("download cancelled")

    def restart(self) -> int:
        """Forget what was fetched; returns how many bytes that was."""
        dropped = self.offset
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(b"")
        self.offset, self.etag, self.hasher = 0, "", self.digest.hasher(self.size)
        self.save()
        return dropped

    def save(self) -> None:
        self.meta_path.write_text(json.dumps({**self.identity, "etag": self.etag}), encoding="utf-8")

    def discard(self) -> None:
        for path in (self.path, self.meta_path):
            path.unlink(missing_ok=True)
        try:
            self.path.parent.rmdir()
        except OSError:
            pass


def fetch_file(url: str, target: Path, size: int, digest: Digest, access: HubAccess, meter: TransferMeter,
               is_cancelled: Callable[[], bool] | None = None) -> None:
    """Bring `target` (of `size` bytes and `digest`) from `url`, resuming what an earlier attempt kept. The file
    appears under its final name only once its digest matched; a mismatch removes it (ModelFilesError)."""
    meter.set("downloading", file=target.name)
    partial = _Partial(target, url, size, digest)
    partial.resume(meter, is_cancelled)
    meter.set("downloading", file=target.name)
    attempt = 0
    while partial.offset < size:
        before = partial.offset
        try:
            _transfer(url, partial, access, meter, is_cancelled)
        except TransientError as exc:
            attempt = 1 if partial.offset > before else attempt + 1
            if attempt > MAX_ATTEMPTS:
                raise HubError(f"{exc}; gave up after {MAX_ATTEMPTS} tries. What was fetched is kept: download "
                               "again to resume") from None
            retry_delay(exc, attempt, is_cancelled, meter)
            meter.set("downloading", file=target.name)
    _finish(partial, target, meter)


def _finish(partial: _Partial, target: Path, meter: TransferMeter) -> None:
    meter.set("verifying", file=target.name)
    got = partial.hasher.hexdigest()
    if got != partial.digest.value.lower():
        partial.discard()
        raise ModelFilesError(f"{target.name}: the downloaded bytes do not match the hub's {partial.digest.kind} "
                              f"({partial.digest.value[:12]}…, got {got[:12]}…): the file was corrupted on the way "
                              "and has been removed; download again to fetch it anew")
    os.replace(partial.path, target)
    partial.discard()


_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


def _transfer(url: str, partial: _Partial, access: HubAccess, meter: TransferMeter, is_cancelled) -> None:
    """One request for the rest of the file, appended to the partial file as it arrives."""
    headers = {}
    if partial.offset:
        headers["Range"] = f"bytes={partial.offset}-"
        if partial.etag:
            headers["If-Range"] = partial.etag
    try:
        response = open_url(url, access, headers, is_cancelled)
    except HubStatusError as exc:
        if exc.status == 416 and partial.offset:  # the range is past the server's end: start over
            meter.add(-partial.restart())
            raise TransientError("the server had less than the part fetched before; starting the file again") from None
        raise
    with response:
        _check_start(response, partial, meter)
        with open(partial.path, "ab") as handle:
            while partial.offset < partial.size:
                block = response.read(CHUNK)
                if not block:
                    raise TransientError(f"the connection closed after {partial.offset} of {partial.size} bytes")
                block = block[: partial.size - partial.offset]
                handle.write(block)
                partial.hasher.update(block)
                partial.offset += len(block)
                meter.add(len(block))


def _check_start(response, partial: _Partial, meter: TransferMeter) -> None:
    """Where the answer's bytes start: at our offset (206), or at 0 (200: the server ignored or refused the range
    because the file changed); remembers the ETag for the next resume."""
    if response.status == 206:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if not match or int(match.group(1)) != partial.offset or \
                (match.group(3) != "*" and int(match.group(3)) != partial.size):
            raise HubError(f"the server answered the range request with {response.headers.get('Content-Range')!r}, "
                           f"expected bytes {partial.offset}-…/{partial.size}")
    elif partial.offset:
        meter.add(-partial.restart())
    etag = response.headers.get("ETag", "")
    if etag and etag != partial.etag:
        partial.etag = etag
        partial.save()
    elif not partial.meta_path.is_file():
        partial.save()
