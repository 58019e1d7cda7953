"""What an export will do to the disk, decided on the GUI thread before anything is written: the file kind, the
files it must never replace (any file of a layer in the project, the raster the answer came from), and what an
existing GeoPackage holds (only our layer in it is replaced; its other layers are named in the question)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from qgis.core import QgsProject

from ..common.translation import tr

DRIVERS = {".shp": "ESRI Shapefile", ".gpkg": "GPKG"}
SOURCE_PROPERTY = "segearth/source"  # custom property of a result layer: its source raster's file ("" if none)
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qpj", ".sbn", ".sbx", ".qix", ".qml")


class ExportError(Exception):
    """Export refused or failed; the message is for the user."""


@dataclass(frozen=True)
class ExportPlan:
    path: str
    driver: str
    layer_name: str  # the layer's name inside a GeoPackage ("answer" for a Shapefile)
    existed: bool
    other_layers: tuple[str, ...] = field(default_factory=tuple)  # a GeoPackage's layers that are kept


def layer_file(layer) -> Path | None:
    """The file behind a layer (its provider's own reading of the source: "/a/b.gpkg|layername=x",
    "GPKG:/a/b.gpkg:table", "file:///a/b.csv?delimiter=,"); None for a layer that is not a file."""
    from qgis.core import QgsProviderRegistry

    path = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source()).get("path") or ""
    return Path(path) if path and not path.startswith("/vsi") and os.path.isfile(path) else None


def _files_of(path: Path) -> list[Path]:
    """A layer file and its companions (a Shapefile's parts)."""
    if path.suffix.lower() == ".shp":
        return [path.with_suffix(suffix) for suffix in SHAPEFILE_PARTS]
    return [path]


def protected_files(project: QgsProject | None = None, extra: dict[str, str] | None = None) -> dict[Path, str]:
    """Resolved file -> the name of the layer it belongs to: every file-backed layer of the project, plus `extra`
    (path -> name: the raster an answer came from, which may have left the project)."""
    project = project or QgsProject.instance()
    out: dict[Path, str] = {}
    files = [(Path(path), name) for path, name in (extra or {}).items() if os.path.isfile(path)]
    files += [(layer_file(layer), layer.name()) for layer in project.mapLayers().values()]
    for path, name in files:
        for part in _files_of(path) if path is not None else ():
            out[part.resolve()] = name
    return out


def _target_files(target: Path) -> list[Path]:
    if target.suffix.lower() == ".shp":
        return [target.with_suffix(s) for s in SHAPEFILE_PARTS[:5]] + [target.with_suffix(".segearth.json")]
    return [target]


def refusal(target: Path, protected: dict[Path, str]) -> str | None:
    """Why writing `target` would destroy a layer's data, or None."""
    for part in _target_files(target):
        resolved = part.resolve()
        name = protected.get(resolved)
        if name is None and part.exists():
            name = next((n for p, n in protected.items() if p.exists() and os.path.samefile(p, part)), None)
        if name is not None:
            return tr("{} is a file of the layer \"{}\": exporting there would destroy it. Choose another file "
                      "name.").format(part.name, name)
    return None


def plan_export(layer, path: str) -> ExportPlan:
    """The plan for writing result `layer` to `path`; ExportError when the name is refused."""
    from segearth_engine.api import geopackage_layers

    from .layers import layer_name

    target = Path(path)
    driver = DRIVERS.get(target.suffix.lower())
    if driver is None:
        raise ExportError(tr("Choose a .shp or .gpkg file name"))
    if target.is_dir():
        raise ExportError(tr("{} is a folder; choose a file name").format(target))
    source = layer.customProperty(SOURCE_PROPERTY)
    why = refusal(target, protected_files(extra={str(source): tr("source raster")} if source else None))
    if why:
        raise ExportError(why)
    inner = layer_name(layer.name(), 40) if driver == "GPKG" else "answer"
    existed = any(p.exists() for p in _target_files(target))
    others = tuple(name for name in geopackage_layers(target) if name != inner) if driver == "GPKG" and existed else ()
    return ExportPlan(str(target), driver, inner, existed, others)


def overwrite_question(plan: ExportPlan) -> str:
    """The one question asked before an existing file is touched."""
    if plan.other_layers:
        return tr("{} holds other layers: {}. They are kept; only the layer \"{}\" is written (replaced if it is "
                  "there). Go on?").format(plan.path, ", ".join(plan.other_layers), plan.layer_name)
    return tr("{} exists. Replace it?").format(plan.path)


def done_message(plan: ExportPlan) -> str:
    if plan.other_layers:
        return tr("Exported to the layer \"{}\" of {}; its other layers were kept: {}").format(
            plan.layer_name, plan.path, ", ".join(plan.other_layers))
    return tr("Exported to {}").format(plan.path)
