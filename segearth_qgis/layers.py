"""Result layers: a styled memory layer per question in the raster's CRS, and export to Shapefile/GeoPackage."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsField,
    QgsFillSymbol,
    QgsGeometry,
    QgsLayerMetadata,
    QgsProject,
    QgsVectorFileWriter,
    QgsVectorLayer,
)

from .translation import tr

GROUP_NAME = "SegEarth results"
PROPERTY = "segearth/question"  # custom layer property marking our result layers
FILL_COLOURS = ("255,64,0", "0,160,255", "240,200,0", "200,0,200", "0,200,100")


def _field_type(value: Any):
    """QgsField type for a Python value: QMetaType on QGIS >= 3.38 (needed for Qt6), QVariant before."""
    if Qgis.QGIS_VERSION_INT >= 33800:
        from qtpy.QtCore import QMetaType

        kinds = (QMetaType.Type.Bool, QMetaType.Type.LongLong, QMetaType.Type.Double, QMetaType.Type.QString)
    else:
        from qtpy.QtCore import QVariant

        kinds = (QVariant.Type.Bool, QVariant.Type.LongLong, QVariant.Type.Double, QVariant.Type.String)
    if isinstance(value, bool):
        return kinds[0]
    if isinstance(value, int):
        return kinds[1]
    if isinstance(value, float):
        return kinds[2]
    return kinds[3]


def _plain(value: Any) -> Any:
    """numpy scalars and other odd values -> what QVariant understands."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    return str(value)


#: fields every result layer has, even an empty one (the pipeline's attributes, typed by example)
BASE_FIELDS: dict[str, Any] = {"question": "", "model": "", "mode": "", "area_m2": 0.0, "mean_prob": 0.0}


def fields_for(attributes: Iterable[dict]) -> list[QgsField]:
    """The base fields, then any further attribute key (first-seen order), typed from the first non-null value."""
    seen: dict[str, Any] = {key: None for key in BASE_FIELDS}
    for attrs in attributes:
        for key, value in attrs.items():
            if key not in seen or seen[key] is None:
                seen[key] = _plain(value)
    return [QgsField(name, _field_type(BASE_FIELDS.get(name) if value is None else value))
            for name, value in seen.items()]


def layer_name(question: str, limit: int = 60) -> str:
    text = " ".join(question.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_result_layer(features: list, question: str, crs: QgsCoordinateReferenceSystem,
                       info: dict[str, str] | None = None) -> QgsVectorLayer:
    """A memory MultiPolygon layer holding the engine's (geometry, attributes) pairs, styled and documented."""
    info = dict(info or {})
    layer = QgsVectorLayer("MultiPolygon", layer_name(question), "memory")
    layer.setCrs(crs)
    fields = fields_for(attrs for _, attrs in features)
    provider = layer.dataProvider()
    provider.addAttributes(fields)
    layer.updateFields()
    names = [f.name() for f in fields]
    out = []
    for geometry, attrs in features:
        feature = QgsFeature(layer.fields())
        geom = QgsGeometry()
        geom.fromWkb(geometry.wkb)
        geom.convertToMultiType()
        feature.setGeometry(geom)
        feature.setAttributes([_plain(attrs.get(name)) for name in names])
        out.append(feature)
    provider.addFeatures(out)
    layer.updateExtents()
    style_layer(layer)
    set_metadata(layer, question, info)
    layer.setCustomProperty(PROPERTY, question)
    return layer


def style_layer(layer: QgsVectorLayer, index: int | None = None) -> None:
    """Semi-transparent fill with an opaque outline, so the raster stays readable underneath."""
    colour = FILL_COLOURS[(index if index is not None else len(QgsProject.instance().mapLayers())) % len(FILL_COLOURS)]
    symbol = QgsFillSymbol.createSimple({"color": f"{colour},90", "outline_color": f"{colour},255",
                                         "outline_width": "0.6", "outline_width_unit": "MM"})
    layer.renderer().setSymbol(symbol)


def set_metadata(layer: QgsVectorLayer, question: str, info: dict[str, str]) -> None:
    """Question, model and revision in the layer metadata, so the layer documents how it was made."""
    metadata = QgsLayerMetadata()
    metadata.setTitle(question)
    lines = [tr("SegEarth answer to: {}").format(question)]
    lines += [f"{key}: {value}" for key, value in info.items() if value]
    metadata.setAbstract("\n".join(lines))
    metadata.setKeywords({"segearth": [question] + [str(v) for v in info.values() if v]})
    metadata.setCrs(layer.crs())
    layer.setMetadata(metadata)


def results_group(project: QgsProject | None = None):
    """The layer-tree group holding results, created at the top of the tree on first use."""
    project = project or QgsProject.instance()
    root = project.layerTreeRoot()
    name = tr(GROUP_NAME)
    return root.findGroup(name) or root.insertGroup(0, name)


def add_result_layer(layer: QgsVectorLayer, project: QgsProject | None = None) -> QgsVectorLayer:
    project = project or QgsProject.instance()
    project.addMapLayer(layer, False)
    results_group(project).insertLayer(0, layer)
    return layer


def is_result_layer(layer) -> bool:
    return isinstance(layer, QgsVectorLayer) and layer.customProperty(PROPERTY) is not None


DRIVERS = {".shp": "ESRI Shapefile", ".gpkg": "GPKG"}


class ExportError(Exception):
    """Export failed; the message is for the user."""


class ExportExistsError(ExportError):
    """The target exists and overwriting was not confirmed."""


def export_layer(layer: QgsVectorLayer, path: str, overwrite: bool = False) -> str:
    """Write `layer` to a .shp or .gpkg in UTF-8; refuses to replace an existing file unless `overwrite`."""
    target = Path(path)
    driver = DRIVERS.get(target.suffix.lower())
    if driver is None:
        raise ExportError(tr("Choose a .shp or .gpkg file name"))
    if target.exists():
        if not overwrite:
            raise ExportExistsError(tr("{} exists; choose another name or allow overwriting").format(target))
        if driver == "ESRI Shapefile":
            QgsVectorFileWriter.deleteShapeFile(str(target))
        else:
            os.remove(target)
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = driver
    options.fileEncoding = "UTF-8"
    options.layerName = layer_name(layer.name(), 40) if driver == "GPKG" else ""
    result = QgsVectorFileWriter.writeAsVectorFormatV3(layer, str(target), QgsProject.instance().transformContext(),
                                                        options)
    error, message = result[0], result[1]
    if error != QgsVectorFileWriter.WriterError.NoError:
        raise ExportError(tr("Export failed: {}").format(message))
    return str(target)
