"""CRS helpers: find PROJ's data in a venv, parse CRS text, move extents between CRSs.

pyproj looks for proj.db under sys.prefix; a venv made with --system-site-packages has none there, so every CRS
parse fails until PROJ_DATA points at the system's /usr/share/proj. `ensure_proj_data` fixes that once.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

from segearth_engine.errors import InputError


def _system_proj_dir() -> str | None:
    for candidate in (os.environ.get("PROJ_DATA"), os.environ.get("PROJ_LIB"),
                      str(Path(sys.base_prefix) / "share" / "proj"), "/usr/share/proj", "/usr/local/share/proj"):
        if candidate and (Path(candidate) / "proj.db").is_file():
            return candidate
    return None


def _bundled_proj_data() -> bool:
    """PyPI's pyproj, rasterio and fiona wheels carry the PROJ data of the PROJ they bundle; the system's proj.db
    (another PROJ version) must then not be imposed on them through PROJ_DATA."""
    import importlib.util

    for name, data in (("pyproj", "proj_dir/share/proj"), ("rasterio", "proj_data"), ("fiona", "proj_data")):
        spec = importlib.util.find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec else []:
            if (Path(location) / data / "proj.db").is_file():
                return True
    return False


@lru_cache(maxsize=1)
def ensure_proj_data() -> str:
    """The PROJ data folder pyproj uses, pointing it at the system's one when the venv hides it."""
    if "PROJ_DATA" not in os.environ and not (Path(sys.prefix) / "share" / "proj" / "proj.db").is_file() \
            and not _bundled_proj_data():
        found = _system_proj_dir()
        if found:
            os.environ["PROJ_DATA"] = found  # before pyproj's import, which otherwise warns
    import pyproj.datadir

    try:
        return pyproj.datadir.get_data_dir()
    except pyproj.exceptions.DataDirError:
        found = _system_proj_dir()
        if not found:
            raise InputError("PROJ's data (proj.db) was not found; install proj-data or set PROJ_DATA") from None
        pyproj.datadir.set_data_dir(found)
        return found


def parse_crs(text: str):
    """pyproj.CRS from WKT, 'EPSG:n', a bare EPSG number or a PROJ string; InputError when it is not a CRS."""
    import pyproj

    ensure_proj_data()
    value = text.strip()
    if value.isdigit():
        value = f"EPSG:{value}"
    try:
        crs = pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as exc:
        raise InputError(f"{text!r} is not a coordinate reference system: {exc}") from exc
    _keep_thread_context()
    return crs


_thread_contexts: dict[int, object] = {}


def _keep_thread_context() -> None:
    """Keep this OS thread's PROJ context alive as long as the thread may come back.

    pyproj 3.7.0-3.7.1 (Debian 13's, QGIS 3.40) remembers a thread's context per OS thread but frees it with the
    Python thread state (pyproj issues 1509, 1622). QGIS's task threads get a new thread state for every task, so the
    next task on the same thread handed PROJ a freed context: QGIS crashed (seen in the matrix, File > New while
    scoring). A reference held here per OS thread keeps that context valid; later pyproj versions do no harm with it.
    """
    import threading

    try:
        from pyproj._context import get_context_manager  # pyproj >= 3.7
    except ImportError:
        return
    manager = get_context_manager()
    if manager is not None:  # None: this thread state reuses the context of an earlier one, already kept
        _thread_contexts[threading.get_native_id()] = manager


Box = tuple[float, float, float, float]


def transform_extent(extent: Box, src: str, dst: str) -> Box:
    """Bounding box of `extent` (src CRS) in dst CRS, densified so curved edges are covered."""
    import pyproj

    src_crs, dst_crs = parse_crs(src), parse_crs(dst)
    if src_crs == dst_crs:
        return tuple(float(v) for v in extent)  # type: ignore[return-value]
    transformer = pyproj.Transformer.from_crs(src_crs, dst_crs, always_xy=True)
    out = transformer.transform_bounds(*extent, densify_pts=21)
    if not all(map(_finite, out)):
        raise InputError(f"the extent {extent} cannot be expressed in the raster's CRS")
    return tuple(float(v) for v in out)  # type: ignore[return-value]


def _finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")
