"""Result layers: a styled memory layer per question in the raster's CRS, and export to Shapefile/GeoPackage."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from qgis.core import (
    Qgis,
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsField,
    QgsFields,
    QgsFillSymbol,
    QgsGeometry,
    QgsLayerMetadata,
    QgsProject,
    QgsRendererCategory,
    QgsVectorLayer,
)
from qtpy.QtCore import QVariant

from .answers import target_labels
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

        # QGIS < 3.38 (Qt5 only) takes QVariant types: QGIS 3.22's QgsField refuses QMetaType.Type
        kinds = (QVariant.Type.Bool, QVariant.Type.LongLong, QVariant.Type.Double, QVariant.Type.String)  # noqa: QGS402
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
#: ... and those of a multi-target (SegEarth-R2) answer: the phrase before each [SEG] and its 0-based index
TARGET_FIELD, TARGET_INDEX_FIELD = "target", "target_idx"  # 10 characters at most: Shapefile field names
TARGET_FIELDS: dict[str, Any] = {TARGET_FIELD: "", TARGET_INDEX_FIELD: 0}
TARGETS_PROPERTY = "segearth/targets"  # custom layer property: the answer's target phrases, in order
DETAILS_PROPERTY = "segearth/details"  # custom layer property: how the answer was made (JSON), for export sidecars


def fields_for(attributes: Iterable[dict], multi_target: bool = False) -> list[QgsField]:
    """The base fields (and the target fields of a multi-target answer), then any further attribute key
    (first-seen order), typed from the first non-null value."""
    typed = {**BASE_FIELDS, **(TARGET_FIELDS if multi_target else {})}
    seen: dict[str, Any] = {key: None for key in typed}
    for attrs in attributes:
        for key, value in attrs.items():
            if key not in seen or seen[key] is None:
                seen[key] = _plain(value)
    return [QgsField(name, _field_type(typed.get(name) if value is None else value))
            for name, value in seen.items()]


def layer_name(question: str, limit: int = 60) -> str:
    text = " ".join(question.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def qgs_features(features: Iterable, fields: QgsFields,
                 is_cancelled: Callable[[], bool] | None = None) -> list[QgsFeature]:
    """The engine's (shapely geometry, attributes) pairs as MultiPolygon QgsFeatures with `fields` (a result layer's
    and the Processing sink's alike); stops early when `is_cancelled()`."""
    names = fields.names()
    out = []
    for geometry, attrs in features:
        if is_cancelled is not None and is_cancelled():
            break
        feature = QgsFeature(fields)
        geom = QgsGeometry()
        geom.fromWkb(geometry.wkb)
        geom.convertToMultiType()
        feature.setGeometry(geom)
        feature.setAttributes([_plain(attrs.get(name)) for name in names])
        out.append(feature)
    return out


def prepare_features(features: list, multi_target: bool = False) -> tuple[list[QgsField], list[QgsFeature]]:
    """The layer's fields and features from the engine's (geometry, attributes) pairs. No QObject is made, so a
    worker thread can do this (thousands of geometries would otherwise stall the GUI thread)."""
    fields = fields_for((attrs for _, attrs in features), multi_target=multi_target)
    qgs_fields = QgsFields()
    for field in fields:
        qgs_fields.append(field)
    return fields, qgs_features(features, qgs_fields)


def build_result_layer(features: list, question: str, crs: QgsCoordinateReferenceSystem,
                       info: dict[str, str] | None = None, targets: Sequence[str] | None = None,
                       prepared: tuple[list[QgsField], list[QgsFeature]] | None = None) -> QgsVectorLayer:
    """A memory MultiPolygon layer holding the engine's (geometry, attributes) pairs, styled and documented.

    `targets` (the phrases of a multi-target answer, in order) gives the layer the target fields and one style per
    target, also for a target whose mask came out empty; None keeps SegEarth-R1's single style. `prepared`:
    prepare_features(features, ...) done beforehand in the worker thread."""
    info = dict(info or {})
    layer = QgsVectorLayer("MultiPolygon", layer_name(question), "memory")
    layer.setCrs(crs)
    fields, out = prepared or prepare_features(features, multi_target=targets is not None)
    provider = layer.dataProvider()
    provider.addAttributes(fields)
    layer.updateFields()
    provider.addFeatures(out)
    layer.updateExtents()
    if targets is None:
        style_layer(layer)
    else:
        style_targets(layer, targets)
        layer.setCustomProperty(TARGETS_PROPERTY, list(targets))
    set_metadata(layer, question, info)
    layer.setCustomProperty(PROPERTY, question)
    layer.setCustomProperty(DETAILS_PROPERTY, json.dumps({k: v for k, v in info.items() if v}, ensure_ascii=False))
    return layer


def style_layer(layer: QgsVectorLayer, index: int | None = None) -> None:
    """Semi-transparent fill with an opaque outline, so the raster stays readable underneath."""
    colour = FILL_COLOURS[(index if index is not None else len(QgsProject.instance().mapLayers())) % len(FILL_COLOURS)]
    symbol = QgsFillSymbol.createSimple({"color": f"{colour},90", "outline_color": f"{colour},255",
                                         "outline_width": "0.6", "outline_width_unit": "MM"})
    layer.renderer().setSymbol(symbol)


def target_colour(index: int) -> str:
    """"r,g,b" of target `index`: the plugin's palette first, then hues spread by the golden angle."""
    if index < len(FILL_COLOURS):
        return FILL_COLOURS[index]
    from qtpy.QtGui import QColor

    colour = QColor.fromHsv(int((index * 137.508) % 360), 220, 230)
    return f"{colour.red()},{colour.green()},{colour.blue()}"


def style_targets(layer: QgsVectorLayer, targets: Sequence[str]) -> None:
    """One semi-transparent fill per target (categorised on target_idx), the legend naming each by its phrase."""
    categories = []
    for index, label in enumerate(target_labels(targets)):
        colour = target_colour(index)
        symbol = QgsFillSymbol.createSimple({"color": f"{colour},90", "outline_color": f"{colour},255",
                                             "outline_width": "0.6", "outline_width_unit": "MM"})
        categories.append(QgsRendererCategory(index, symbol, label))
    layer.setRenderer(QgsCategorizedSymbolRenderer(TARGET_INDEX_FIELD, categories))


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


def _typed_example(field: QgsField):
    """An example value of the field's type, so that the engine's writer gives the file the layer's field types."""
    name = field.typeName().lower()
    if "int" in name:
        return 0
    if name in ("real", "double", "float") or "double" in name:
        return 0.0
    return ""


def _engine_features(layer: QgsVectorLayer) -> list[tuple[Any, dict]]:
    """The layer's features as the engine's (shapely geometry, attributes) pairs; NULL attributes become None."""
    from shapely import wkb

    names = layer.fields().names()
    out = []
    for feature in layer.getFeatures():
        geometry = feature.geometry()
        if geometry.isNull():
            continue
        values = [None if value is None or isinstance(value, QVariant) else value for value in feature.attributes()]
        out.append((wkb.loads(bytes(geometry.asWkb())), dict(zip(names, values, strict=True))))
    return out


def export_layer(layer: QgsVectorLayer, path: str, overwrite: bool = False) -> str:
    """Write `layer` to a .shp or .gpkg through the engine's writers (segearth_engine.api.write_vector), as the CLI
    does: UTF-8, written whole or not at all, and for a Shapefile text cut to 254 bytes on a character boundary with
    the whole question and the run's details in `<name>.segearth.json`. Refuses to replace an existing file unless
    `overwrite`.

    A multi-target layer keeps its per-target style: a .qml next to a Shapefile, the default style inside a
    GeoPackage, so that QGIS opens the export styled as the result layer was."""
    target = Path(path)
    driver = DRIVERS.get(target.suffix.lower())
    if driver is None:
        raise ExportError(tr("Choose a .shp or .gpkg file name"))
    if target.exists() and not overwrite:
        raise ExportExistsError(tr("{} exists; choose another name or allow overwriting").format(target))
    from segearth_engine.api import SegEarthError, write_vector

    from .qgis_source import crs_wkt

    base = {field.name(): _typed_example(field) for field in layer.fields()}
    question = layer.customProperty(PROPERTY)
    if question is not None and "question" in base:
        base["question"] = str(question)
    details = layer.customProperty(DETAILS_PROPERTY)
    gpkg_layer = layer_name(layer.name(), 40) if driver == "GPKG" else "answer"
    try:
        write_vector(target, _engine_features(layer), crs_wkt(layer.crs()), base_attrs=base, overwrite=overwrite,
                     layer=gpkg_layer, details=json.loads(details) if details else None)
    except SegEarthError as exc:
        raise ExportError(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - GDAL/fiona failures: a message, never a crash
        raise ExportError(tr("Export failed: {}").format(exc)) from exc
    if layer.customProperty(TARGETS_PROPERTY) is not None:
        _save_style(layer, target, driver, gpkg_layer)
    return str(target)


def _save_style(layer: QgsVectorLayer, target: Path, driver: str, layer_name_in_file: str) -> None:
    """The layer's renderer saved with the export; a failure here loses no data, so it is only logged."""
    import logging

    if driver == "ESRI Shapefile":
        message, ok = layer.saveNamedStyle(str(target.with_suffix(".qml")))
    else:
        written = QgsVectorLayer(f"{target}|layername={layer_name_in_file}", "export", "ogr")
        written.setRenderer(layer.renderer().clone())
        message = written.saveStyleToDatabase(layer_name_in_file, tr("SegEarth targets"), True, "")
        ok = not message
    if not ok:
        logging.getLogger(__name__).warning("the style of %s was not saved: %s", target, message)
