"""Result layers: a styled memory layer per question in the raster's CRS (export: export_task.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
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

from ..common.translation import tr
from .answers import target_labels

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
    """A SegEarth result layer that still exists (a removed layer's Python wrapper raises RuntimeError)."""
    try:
        return isinstance(layer, QgsVectorLayer) and layer.customProperty(PROPERTY) is not None
    except RuntimeError:  # wrapped C/C++ object has been deleted
        return False
