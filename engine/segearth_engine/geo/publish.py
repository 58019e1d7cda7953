"""Publishing a finished output: staged beside the target, verified, then made visible in one step.

Why: GDAL/OGR only *log* write errors (a full disk gives a truncated GeoJSON or GeoTIFF and no exception), a
check-then-rename lets two runs both "win" the same new name, and a Shapefile is several files.

- Staging: every output is written into a hidden folder next to its target, named
  `.<target>.<host>-<pid>.<random>.segearth-tmp`, so a later run can tell whose it is and whether that process is
  still alive (`clean_stale_stages`).
- Verification: the writer runs inside `gdal_errors()` (geo/gdal_errors.py), which turns every error GDAL signals
  into an OutputError, then the caller reopens the staged files and compares them with what it wrote (writers.py);
  files are fsynced.
- Publishing: a journal (`journal.json` in the stage) is written first, then each part is hard-linked to a new name
  (`os.link` fails if the name exists: the existence check and the publish are one step, so of two runs writing
  the same new output exactly one succeeds) or, when overwriting, renamed over the old one (`os.replace`).
- A Shapefile set: the parts are published under the journal. A run killed between two parts leaves its stage and
  journal behind, and the next run that writes into that folder (or `clean_stale_stages`) rolls the publish
  *forward*, so the set on disk ends as the complete new one; a stage without a journal was never published and is
  removed. Readers that open the set during those few renames may still see a mix: no file system offers a
  multi-file atomic rename, and a lock file would only be honoured by our own readers. Single-file outputs
  (.gpkg, .geojson, .tif) are published by one link or rename and are never seen half-done.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterable
from pathlib import Path

from segearth_engine.errors import OutputExistsError

STAGE_SUFFIX = ".segearth-tmp"
JOURNAL = "journal.json"
FAULT_ENV = "SEGEARTH_FAULT_AFTER_PUBLISHING"  # tests: kill the process after this many parts were published


def owner_tag() -> str:
    """host-pid: whose stage or temp folder this is."""
    return f"{socket.gethostname().replace('.', '_')}-{os.getpid()}"


def _owner_of(stage_name: str) -> tuple[str, int] | None:
    """(host, pid) of a stage folder name, None when it is not one of ours."""
    if not stage_name.endswith(STAGE_SUFFIX):
        return None
    parts = stage_name[: -len(STAGE_SUFFIX)].split(".")
    if len(parts) < 3:
        return None
    host, _, pid = parts[-2].rpartition("-")
    return (host, int(pid)) if pid.isdigit() else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(path: Path) -> bool:
    """A stage (or temp grid folder) of a dead process on this host."""
    owner = _owner_of(path.name)
    if owner is None:
        return False
    host, pid = owner
    return host == socket.gethostname().replace(".", "_") and pid != os.getpid() and not pid_alive(pid)


def clean_stale_stages(folder: Path) -> list[Path]:
    """Finish (journal present) or remove (no journal) the stages of dead runs in `folder`; returns those handled."""
    handled = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return handled
    for entry in entries:
        if entry.is_dir() and is_stale(entry):
            journal = entry / JOURNAL
            if journal.is_file():
                try:
                    plan = json.loads(journal.read_text(encoding="utf-8"))
                    _publish_parts(entry, folder, plan["parts"], plan["obsolete"], bool(plan["overwrite"]),
                                   resume=True)
                except (OSError, ValueError, KeyError, OutputExistsError):
                    pass  # cannot finish: remove the stage, the target keeps what it has
            shutil.rmtree(entry, ignore_errors=True)
            handled.append(entry)
    return handled


def new_stage(target: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.{owner_tag()}.", suffix=STAGE_SUFFIX, dir=target.parent))


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fsync_file(folder)
    except OSError:
        pass  # some file systems cannot fsync a directory; the renames are still atomic


def _fault_hook(published: int) -> None:
    limit = os.environ.get(FAULT_ENV)
    if limit is not None and published >= int(limit):
        os._exit(99)  # tests: a kill between publish steps, with no cleanup at all


def _link_or_claim(src: Path, dst: Path) -> None:
    """Publish `src` as the new name `dst`, failing with FileExistsError when `dst` exists (one step)."""
    try:
        os.link(src, dst)
        return
    except FileExistsError:
        raise
    except OSError:
        pass  # no hard links here (FAT, some network shares): claim the name exclusively, then rename over it
    os.close(os.open(dst, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    os.replace(src, dst)


def _publish_parts(stage: Path, folder: Path, parts: list[str], obsolete: list[str], overwrite: bool,
                   resume: bool = False) -> None:
    published = 0
    linked: list[Path] = []
    for name in parts:
        src, dst = stage / name, folder / name
        if not src.exists():
            continue  # already moved (resuming an overwrite)
        if overwrite:
            os.replace(src, dst)
        else:
            try:
                _link_or_claim(src, dst)
            except FileExistsError:
                if resume and dst.exists() and src.exists() and os.path.samefile(src, dst):
                    continue
                for done in linked:  # another run got there first: take back only what this run linked
                    if done.exists() and os.path.samefile(done, stage / done.name):
                        done.unlink()
                raise OutputExistsError(f"{dst} exists (another run wrote it meanwhile?); choose another name or "
                                        "pass --overwrite") from None
            linked.append(dst)
        published += 1
        _fault_hook(published)
    for name in obsolete:
        (folder / name).unlink(missing_ok=True)  # a part of the old set the new one does not have
    _fsync_dir(folder)


def publish(stage: Path, target: Path, parts: Iterable[str], obsolete: Iterable[str] = (),
            overwrite: bool = False) -> None:
    """Make the staged `parts` (names in `stage`) visible next to `target`, the target's own name first when new
    (it claims the output) and last when overwriting (a reader opening it finds its companions already new)."""
    parts = [p for p in parts if (stage / p).is_file()]
    first, rest = [p for p in parts if p == target.name], [p for p in parts if p != target.name]
    order = first + rest if not overwrite else rest + first
    for name in order:
        fsync_file(stage / name)
    journal = stage / JOURNAL
    journal.write_text(json.dumps({"target": target.name, "parts": order, "obsolete": list(obsolete),
                                   "overwrite": overwrite}), encoding="utf-8")
    fsync_file(journal)
    _publish_parts(stage, target.parent, order, list(obsolete), overwrite)
