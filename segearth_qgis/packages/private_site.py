"""The private package folder: first on sys.path, never holding a second copy of what QGIS's Python ships.

Prepending lets torch's own sympy win over an older one from the OS (Debian's 1.11 under QGIS 3.22 breaks torch);
pruning after each install removes every distribution QGIS already has at the same version, and the protected ones
(numpy, geo stack, Qt) whatever their version, so the folder cannot shadow QGIS's GDAL/GEOS/PROJ bindings.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path

from .pip_plan import PROTECTED, normalise

log = logging.getLogger(__name__)
#: import names of QGIS's own stack: a private folder holding one of these is appended, never prepended
PROTECTED_MODULES = ("numpy", "osgeo", "rasterio", "shapely", "pyproj", "fiona", "PyQt5", "PyQt6", "sip", "qgis")
#: distributions dropped from the folder whatever QGIS has: triton (torch.compile's GPU compiler, which the engine
#: never uses; PyPI's Linux torch pulls it in) bundles LLVM and segfaults QGIS on import (seen with QGIS 3.22)
NEVER_IN_QGIS = ("triton",)
#: pure-Python modules QGIS may have imported from the OS before the plugin starts, which torch needs newer
REFRESHABLE = ("sympy", "mpmath", "typing_extensions")


def shadowing(folder: Path) -> list[str]:
    """Protected import names present in `folder` (an old or hand-made install)."""
    return [name for name in PROTECTED_MODULES if (folder / name).exists() or any(folder.glob(f"{name}.*"))]


def activate(folder: Path) -> str:
    """Put `folder` on sys.path: first when it is safe, last (QGIS's stack wins) when it holds protected packages.
    Returns what was done, for diagnostics."""
    if not folder.is_dir():
        return "absent"
    path = str(folder)
    if path in sys.path:
        return "already on sys.path"
    bad = shadowing(folder)
    if bad:
        sys.path.append(path)
        log.warning("SegEarth: %s holds %s; appended so that QGIS's own copies win", folder, ", ".join(bad))
        return f"appended (holds {', '.join(bad)})"
    sys.path.insert(0, path)
    for name in REFRESHABLE:  # imported from the OS before us: forget it so the next import takes the folder's
        module = sys.modules.get(name)
        if module is not None and (folder / name).exists() and path not in str(getattr(module, "__file__", "")):
            for loaded in [key for key in sys.modules if key == name or key.startswith(name + ".")]:
                del sys.modules[loaded]
    return "first on sys.path"


def system_distributions() -> dict[str, str]:
    """name -> version of what QGIS's Python has outside the private folder."""
    paths = [p for p in sys.path if "segearth_deps" not in p]
    found: dict[str, str] = {}
    for dist in metadata.distributions(path=paths):
        name = dist.metadata["Name"]
        if name:
            found.setdefault(normalise(name), dist.version)
    return found


def _remove_distribution(folder: Path, dist_info: Path) -> None:
    record = dist_info / "RECORD"
    lines = record.read_text(encoding="utf-8").splitlines() if record.is_file() else []
    for line in lines:
        relative = line.split(",")[0]
        path = (folder / relative).resolve()
        if relative and path.is_file() and folder.resolve() in path.parents:
            path.unlink()
    shutil.rmtree(dist_info, ignore_errors=True)
    for directory in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


def prune(folder: Path, system: dict[str, str]) -> list[str]:
    """Remove from `folder` the protected distributions QGIS has, every exact duplicate and what must never load in
    QGIS (NEVER_IN_QGIS); returns 'name version' of each."""
    removed = []
    for dist_info in sorted(folder.glob("*.dist-info")):
        dist = metadata.PathDistribution(dist_info)
        name, version = normalise(dist.metadata["Name"] or ""), dist.version
        if name in NEVER_IN_QGIS or (name in system and (name in PROTECTED or system[name] == version)):
            _remove_distribution(folder, dist_info)
            removed.append(f"{name} {version}")
    return removed


def swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging`; a folder Windows keeps locked is renamed aside and removed next time."""
    for old in target.parent.glob(target.name + ".old-*"):
        shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        aside = target.with_name(f"{target.name}.old-{int(time.time())}")
        target.rename(aside)
        shutil.rmtree(aside, ignore_errors=True)
    staging.rename(target)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def installed_versions(folder: Path, names: tuple[str, ...] = ("torch", "onnxruntime", "onnxruntime-gpu",
                                                                "transformers")) -> dict[str, str]:
    out = {}
    for dist_info in folder.glob("*.dist-info"):
        dist = metadata.PathDistribution(dist_info)
        name = normalise(dist.metadata["Name"] or "")
        if name in names:
            out[name] = dist.version
    return out
