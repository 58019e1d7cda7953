"""Room on the disk for a download and for what the model's first load writes beside it, checked before starting."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from segearth_engine.errors import DiskSpaceError
from segearth_engine.weights.transfer_meter import human_bytes


def free_bytes(folder: Path) -> int:
    """Free bytes on the disk that holds `folder` (or, while it does not exist yet, its nearest existing parent)."""
    folder = Path(folder).expanduser().absolute()
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return 0


def check_room(folder: Path, download: int, first_load: Sequence[tuple[str, int]], fetched: int = 0) -> None:
    """DiskSpaceError, with every number, unless the disk of `folder` has room for the `download` bytes still to
    fetch and for the `first_load` parts ((what, bytes)) that the first load writes."""
    writes = sum(size for _, size in first_load)
    need = download + writes
    free = free_bytes(folder)
    if free >= need:
        return
    parts = ", ".join(f"{what} {human_bytes(size)}" for what, size in first_load if size)
    fetched_text = f" ({human_bytes(fetched)} already fetched)" if fetched else ""
    raise DiskSpaceError(
        f"not enough free space on the disk of {folder}: the download needs {human_bytes(download)} more"
        f"{fetched_text} and the first load writes {human_bytes(writes)} beside it ({parts}), {human_bytes(need)} in "
        f"all, but {human_bytes(free)} are free. Free {human_bytes(need - free)} or choose another folder")
