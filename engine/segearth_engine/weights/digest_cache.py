"""sha256 of large weight files, computed from their bytes once and remembered while the file is unchanged.

Why: the ONNX graphs are tied to the weights by a digest, which must come from the file itself (a manifest only
says what the file should be), but hashing a 3 GB checkpoint on every load would cost seconds. The digest is kept in
a small JSON sidecar keyed by the file's identity (size, mtime, inode, ctime: ctime cannot be set back by copying
tools, so a file replaced with the same size and mtime is still noticed) and computed again when any of it changes.
The sidecar lives in the user's cache folder, so read-only model folders work too.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from segearth_engine.weights.checkpoint import sha256_of, weight_files

CACHE_NAME = "weight-digests.json"


def cache_path() -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "segearth" / CACHE_NAME


def _identity(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns]


def _load() -> dict:
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(entries: dict) -> None:
    """Atomic replace; a cache that cannot be written only costs a re-hash next time."""
    target = cache_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".digests.", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(entries, handle)
        os.replace(tmp, target)
    except OSError:
        pass


def file_sha256(path: str | Path) -> str:
    """The sha256 of `path`'s bytes, from the cache when the file's identity is unchanged."""
    path = Path(path).resolve()
    identity = _identity(path)
    entries = _load()
    entry = entries.get(str(path))
    if isinstance(entry, dict) and entry.get("identity") == identity and isinstance(entry.get("sha256"), str):
        return entry["sha256"]
    digest = sha256_of(path)
    if _identity(path) == identity:  # unchanged while it was read
        entries = {k: v for k, v in _load().items() if Path(k).exists()}
        entries[str(path)] = {"identity": identity, "sha256": digest}
        _save(entries)
    return digest


def remember(path: str | Path, digest: str) -> None:
    """Record a digest just verified against the file's bytes (after a download), so the next load skips hashing."""
    path = Path(path).resolve()
    entries = _load()
    entries[str(path)] = {"identity": _identity(path), "sha256": digest.lower()}
    _save(entries)


def weights_stamp(model_dir: Path) -> dict[str, list[int]]:
    """Cheap identity of the weight files to skip re-hashing when nothing changed: size, mtime, inode and ctime (a
    file copied over with its size and mtime kept, `cp -p`, still gets a new ctime). Any change falls back to the
    sha256 of the bytes, so a moved folder costs one hash, never a wrong match."""
    stats = {p.name: p.stat() for p in weight_files(model_dir)}
    return {name: [s.st_size, s.st_mtime_ns, s.st_ino, s.st_ctime_ns] for name, s in stats.items()}


def weights_fingerprint(model_dir: Path) -> str:
    """sha256 of the weight files' bytes (never the manifest's word for them), cached while the files are unchanged."""
    digests = [file_sha256(p) for p in weight_files(model_dir)]
    return digests[0] if len(digests) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest()
