"""Write answers to disk: GeoPackage (v1.3), Shapefile (UTF-8), GeoJSON, or the mask as a GeoTIFF.

Every writer stages its files in a hidden folder next to the target, turns GDAL/OGR errors into OutputError, reads
the result back, and only then publishes it (geo/publish.py: one link or rename per file, refusing an existing
target unless `overwrite`), so a failure, a full disk, Ctrl-C or a kill never leaves a half-written output.

Shapefile limits, handled explicitly: field names are at most 10 characters (ours already are), and text fields
hold at most 254 bytes, so a longer question is cut at a character boundary and ends with "…"; the full question
and run details always go to a sidecar `<name>.segearth.json` next to the .shp.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from segearth_engine.errors import Cancelled, InputError, OutputError, OutputExistsError
from segearth_engine.geo.gdal_errors import gdal_errors, output_error
from segearth_engine.geo.publish import clean_stale_stages, new_stage, publish

VECTOR_DRIVERS = {".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".geojson": "GeoJSON", ".json": "GeoJSON"}
RASTER_SUFFIXES = (".tif", ".tiff")
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
SHP_TEXT_BYTES = 254
SIDECAR_SUFFIX = ".segearth.json"


def output_kind(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in VECTOR_DRIVERS:
        return "vector"
    if suffix in RASTER_SUFFIXES:
        return "raster"
    raise InputError(f"{path}: unknown output format; use .gpkg, .shp, .geojson or .tif")


def output_files(path: str | Path) -> list[Path]:
    """Every file a write to `path` produces (a Shapefile is several)."""
    target = Path(path)
    if target.suffix.lower() == ".shp":
        return [target.with_suffix(s) for s in SHAPEFILE_PARTS] + [target.with_suffix(SIDECAR_SUFFIX)]
    return [target]


def check_output(path: str | Path, overwrite: bool = False, inputs: Iterable[str | Path] = ()) -> Path:
    """Refuse early (before any computing) an unknown format, a missing or unwritable folder, a folder as the target,
    an existing file, or a target that is one of the run's `inputs`; removes stale stages of dead runs first."""
    target = Path(path).expanduser()
    output_kind(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"output folder {folder} does not exist (or is not a folder)")
    for part in output_files(target):
        if part.is_dir():
            raise InputError(f"the output {part} is a folder; give a file name ending in {target.suffix}")
    _refuse_inputs(target, inputs)
    clean_stale_stages(folder)
    try:
        fd, probe = tempfile.mkstemp(prefix=".segearth-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"output folder {folder} is not writable: {exc.strerror or exc}") from exc
    existing = [p for p in output_files(target) if p.exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{existing[0]} exists; choose another name or pass --overwrite")
    return target


def _refuse_inputs(target: Path, inputs: Iterable[str | Path]) -> None:
    """Never write over a file the run reads (the raster, a file of the model folder)."""
    parts = [p.resolve() for p in output_files(target)]
    for item in inputs:
        if not item or str(item).startswith("/vsi"):
            continue
        source = Path(item).expanduser().resolve()
        for part in parts:
            if part == source or (source.is_dir() and source in part.parents):
                raise InputError(f"the output {part} would overwrite the input {item}; choose another output name")
            if part.exists() and source.exists() and os.path.samefile(part, source):
                raise InputError(f"the output {part} is the input {item} (a link to it); choose another name")


@contextmanager
def staged(path: str | Path, overwrite: bool = False, inputs: Iterable[str | Path] = ()) -> Iterator[Path]:
    """Yields a path in a fresh stage to write `path`'s files to; on success publishes them (geo.publish), on any
    failure removes them. The block must verify what it wrote (raise OutputError) before it ends."""
    target = check_output(path, overwrite, inputs)
    stage = new_stage(target)
    try:
        yield stage / target.name
        produced = sorted(p.name for p in stage.iterdir() if p.is_file())
        obsolete = [p.name for p in output_files(target) if p.name not in produced and p.exists()] if overwrite else []
        try:
            publish(stage, target, produced, obsolete, overwrite)
        except OSError as exc:
            raise output_error(str(target), [exc.strerror or str(exc)], exc, target.parent, "publish") from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def truncate_utf8(text: str, limit: int = SHP_TEXT_BYTES) -> str:
    """`text` cut to at most `limit` UTF-8 bytes at a character boundary, marked with a trailing ellipsis."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len("…".encode())
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut + "…"


def _field_type(value) -> str:
    if isinstance(value, bool | np.bool_):
        return "int"
    if isinstance(value, int | np.integer):
        return "int"
    if isinstance(value, float | np.floating):
        return "float"
    return "str"


def _schema(features: list, base: dict, shapefile: bool) -> dict:
    props: dict[str, str] = {}
    for key, value in list(base.items()) + [kv for _, attrs in features for kv in attrs.items()]:
        if key not in props:
            if shapefile and len(key) > 10:
                raise InputError(f"attribute {key!r} is longer than a Shapefile's 10-character field names")
            kind = _field_type(value)
            if shapefile:
                kind = {"str": f"str:{SHP_TEXT_BYTES}", "float": "float:24.4", "int": "int:18"}[kind]
            props[key] = kind
    return {"geometry": "MultiPolygon", "properties": props}


def _plain(value, shapefile: bool):
    if isinstance(value, np.generic):
        value = value.item()
    if shapefile and isinstance(value, str):
        return truncate_utf8(value)
    return value


def write_vector(path: str | Path, features: list, crs_wkt: str, base_attrs: dict | None = None,
                 overwrite: bool = False, layer: str = "answer", details: dict | None = None,
                 inputs: Iterable[str | Path] = (), keep_layers: bool = False,
                 progress: Callable[[float], None] | None = None,
                 is_cancelled: Callable[[], bool] | None = None) -> Path:
    """Polygons and attributes to .gpkg/.shp/.geojson in `crs_wkt`; `base_attrs` fixes the fields of an empty result.
    Read back before it is published; `inputs`: files the run read, never overwritten.

    `keep_layers` (GeoPackage, with `overwrite`): an existing file keeps its other layers; only `layer` is written
    (replaced when it is there), into a staged copy that is checked and published like any output.
    `progress(fraction)` while writing; `is_cancelled()` true stops with Cancelled, the old file untouched."""
    import fiona
    from shapely.geometry import MultiPolygon, mapping

    target = Path(path).expanduser()
    driver = VECTOR_DRIVERS.get(target.suffix.lower())
    if driver is None:
        raise InputError(f"{path}: vector outputs are .gpkg, .shp or .geojson")
    shapefile = driver == "ESRI Shapefile"
    schema = _schema(features, dict(base_attrs or {}), shapefile)
    options: dict = {"encoding": "utf-8"} if shapefile else {}
    if driver == "GPKG":
        options.update(layer=layer, VERSION="1.3")  # QGIS 3.22's GDAL warns on GeoPackage 1.4
    keep = keep_layers and overwrite and driver == "GPKG" and bool(geopackage_layers(target))  # else: replaced
    with staged(target, overwrite, inputs) as tmp, gdal_errors(str(target), target.parent):
        kept = _copy_other_layers(target, tmp, layer) if keep else {}
        with fiona.open(tmp, "w", driver=driver, schema=schema, crs_wkt=crs_wkt or None, **options) as sink:
            for done, (geometry, attrs) in enumerate(features):
                if done % 256 == 0:
                    _tick(done / max(len(features), 1), progress, is_cancelled)
                multi = geometry if geometry.geom_type == "MultiPolygon" else MultiPolygon([geometry])
                sink.write({"geometry": mapping(multi),
                            "properties": {k: _plain(attrs.get(k), shapefile) for k in schema["properties"]}})
        _tick(1.0, progress, is_cancelled)
        if shapefile:
            sidecar = {**dict(base_attrs or {}), **dict(details or {}), "fields": list(schema["properties"])}
            tmp.with_suffix(SIDECAR_SUFFIX).write_text(json.dumps(sidecar, indent=1, ensure_ascii=False),
                                                       encoding="utf-8")
        with fiona.open(tmp, **({"layer": layer} if driver == "GPKG" else {})) as check:
            written = len(check)
        if written != len(features):
            raise OutputError(f"could not write {target}: {written} of {len(features)} polygons were stored")
        if kept and _layer_counts(tmp, skip=layer) != kept:
            raise OutputError(f"could not write {target}: its other layers did not survive the copy")
    return target


def _tick(fraction: float, progress: Callable[[float], None] | None, is_cancelled: Callable[[], bool] | None) -> None:
    if is_cancelled is not None and is_cancelled():
        raise Cancelled()
    if progress is not None:
        progress(fraction)


def geopackage_layers(path: str | Path) -> list[str]:
    """The layers (tables) a GeoPackage holds, in its order; [] when it is not there or not readable as one."""
    import fiona

    try:
        return list(fiona.listlayers(str(path)))
    except (fiona.errors.FionaError, OSError):
        return []


def _layer_counts(path: Path, skip: str) -> dict[str, int]:
    import fiona

    counts = {}
    for name in geopackage_layers(path):
        if name != skip:
            with fiona.open(path, layer=name) as table:
                counts[name] = len(table)
    return counts


def _copy_other_layers(target: Path, tmp: Path, layer: str) -> dict[str, int]:
    """A consistent copy of the GeoPackage `target` at `tmp` (SQLite's backup, so a write-ahead log is included) in
    which `layer` will be replaced; returns the feature counts of its other layers, to check them afterwards."""
    import sqlite3
    from contextlib import closing

    kept = _layer_counts(target, skip=layer)
    try:
        with closing(sqlite3.connect(f"file:{target}?mode=ro", uri=True)) as source, \
                closing(sqlite3.connect(str(tmp))) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # no -wal file beside the staged copy
    except sqlite3.Error as exc:
        raise OSError(errno.ENOSPC if "full" in str(exc) else errno.EIO, str(exc)) from exc
    return kept


def write_mask_geotiff(path: str | Path, mask: np.ndarray, transform, crs_wkt: str, overwrite: bool = False,
                       inputs: Iterable[str | Path] = ()) -> Path:
    """uint8 mask (1 answer, 0 not, 255 nodata) as a tiled, compressed GeoTIFF, read back before it is published."""
    import rasterio

    target = Path(path).expanduser()
    profile = {"driver": "GTiff", "height": mask.shape[0], "width": mask.shape[1], "count": 1, "dtype": "uint8",
               "transform": transform, "crs": crs_wkt or None, "nodata": 255, "compress": "deflate"}
    if mask.shape[0] >= 256 and mask.shape[1] >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with staged(target, overwrite, inputs) as tmp, gdal_errors(str(target), target.parent):
        with rasterio.open(tmp, "w", **profile) as ds:
            ds.write(mask.astype(np.uint8, copy=False), 1)
        with rasterio.open(tmp) as check:
            same = check.shape == mask.shape and np.array_equal(check.read(1), mask)
        if not same:
            raise OutputError(f"could not write {target}: the file read back differs from the mask")
    return target


def publish_file(src: str | Path, dst: str | Path, overwrite: bool = False, inputs: Iterable[str | Path] = ()) -> Path:
    """Copy a finished GeoTIFF to `dst` through the same staging (large on-disk masks); size and a reopen checked."""
    import rasterio

    with staged(dst, overwrite, inputs) as tmp, gdal_errors(str(dst), Path(dst).parent):
        shutil.copyfile(src, tmp)
        if tmp.stat().st_size != Path(src).stat().st_size:
            raise OutputError(f"could not write {dst}: the copy is shorter than the original")
        with rasterio.open(tmp) as check:  # the header parses and the last block decodes
            check.read(1, window=((check.height - 1, check.height), (check.width - 1, check.width)))
    return Path(dst)
