"""The plugin's own words for the engine's faults, cause first: a disk that is full (and how much is left), a file that
could not be written, a run too large for the resolution asked. The engine's messages name CLI flags and paths in
English; here they name the dock's fields, in the UI language."""

from __future__ import annotations

import shutil
from pathlib import Path

from .translation import tr


def free_space(folder: str | Path) -> str:
    """The free space on `folder`'s disk (its nearest existing parent), as QGIS writes sizes; "" when unknown."""
    path = Path(folder)
    while not path.exists() and path.parent != path:
        path = path.parent
    try:
        free = shutil.disk_usage(path).free
    except OSError:
        return ""
    from qgis.core import QgsFileUtils

    return QgsFileUtils.representFileSize(free)


def _engine_cause(text: str) -> str:
    """The engine's "could not write X: cause" reduced to the cause."""
    head, sep, cause = text.partition(": ")
    return cause if sep and head.startswith("could not ") else text


def write_failure(path: str | Path, error: BaseException, existed: bool, disk_full: bool | None = None) -> str:
    """Why `path` was not written, cause first; says that the old file (when there was one) is unchanged."""
    target = Path(path)
    full = getattr(error, "disk_full", False) if disk_full is None else disk_full
    kept = tr(" The existing file is unchanged.") if existed else ""
    if full:
        free = free_space(target.parent)
        where = tr("{} free on that disk").format(free) if free else tr("free space unknown")
        return tr("The disk is full ({}): {} was not written.").format(where, target.name) + kept
    return tr("Write error ({}): {} was not written.").format(_engine_cause(str(error)), target.name) + kept


def too_large(error) -> str:
    """A LimitError (output grid or strip memory beyond the engine's limits) in terms of the dock's fields."""
    size = tr("{} × {} pixels ({:.1f} gigapixels)").format(f"{int(error.width or 0):,}", f"{int(error.height or 0):,}",
                                                          float(error.gigapixels or 0.0))
    if error.min_resolution:
        return tr("Too large for this resolution: the answer would be a grid of {}. Set Resolution to at least {:.3g} "
                  "map units per pixel, or choose a smaller extent.").format(size, error.min_resolution)
    return tr("Too large: the answer would be a grid of {}. Choose a smaller extent, or a coarser "
              "resolution.").format(size)
