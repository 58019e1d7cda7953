"""QGIS side of "Score against reference": layers (any CRS, any provider) -> shapely geometries in one CRS for the
engine's scores (segearth_engine.evaluation.vector_scores), and the styled matched / missed / false-alarm layer."""

from __future__ import annotations

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsExpression,
    QgsFeature,
    QgsFeatureRequest,
    QgsField,
    QgsFields,
    QgsFillSymbol,
    QgsGeometry,
    QgsRectangle,
    QgsRendererCategory,
    QgsVectorLayer,
)

from ..common.crs import crs_wkt
from ..common.translation import tr
from .layers import _field_type, _plain

#: status -> (legend text, fill "r,g,b,a", outline "r,g,b,a")
STATUS_STYLES = {"matched": (lambda: tr("Matched reference"), "40,170,60,110", "20,120,40,255"),
                 "missed": (lambda: tr("Missed reference"), "255,255,255,0", "230,30,30,255"),
                 "false_alarm": (lambda: tr("False alarm (answer)"), "255,150,0,110", "200,100,0,255")}
#: fields of the outcome table, typed by example (names fit a Shapefile)
OUTCOME_FIELDS = {"status": "", "ref_id": "", "answer_id": "", "iou": 0.0, "covered": 0.0, "area_m2": 0.0}


class ScoringError(ValueError):
    """The layers cannot be scored as given; the message is for the user."""


def to_shapely(geometry: QgsGeometry):
    from shapely import wkb

    return wkb.loads(bytes(geometry.asWkb()))


def check_expression(expression: str | None) -> None:
    if expression:
        parsed = QgsExpression(expression)
        if parsed.hasParserError():
            raise ScoringError(tr("Reference filter {}: {}").format(repr(expression), parsed.parserErrorString()))


def source_geometries(source, crs: QgsCoordinateReferenceSystem, transform_context, rect: QgsRectangle | None = None,
                      expression: str | None = None, is_cancelled=None) -> list[tuple[object, object]]:
    """(feature id, shapely geometry in `crs`) of the polygon features of `source` (a layer or a Processing feature
    source) that touch `rect` (in `crs`; None: all) and pass `expression` (a QGIS expression)."""
    check_expression(expression)
    transform = QgsCoordinateTransform(source.sourceCrs(), crs, transform_context)
    request = QgsFeatureRequest()
    if rect is not None and not rect.isEmpty():
        back = QgsCoordinateTransform(crs, source.sourceCrs(), transform_context)
        request.setFilterRect(rect if back.isShortCircuited() else back.transformBoundingBox(rect))
    if expression:
        request.setFilterExpression(expression)
    out = []
    for feature in source.getFeatures(request):
        if is_cancelled is not None and is_cancelled():
            break
        geometry = QgsGeometry(feature.geometry())
        if geometry.isEmpty():
            continue
        if not transform.isShortCircuited():
            geometry.transform(transform)
        out.append((feature.id(), to_shapely(geometry)))
    return out


def score_sources(answers, references, crs: QgsCoordinateReferenceSystem, transform_context,
                  rect: QgsRectangle | None = None, reference_filter: str | None = None, match_iou: float = 0.5,
                  is_cancelled=None):
    """The engine's VectorScores of two feature sources, scored in `crs` within `rect` (None: everywhere)."""
    from shapely.geometry import box

    from segearth_engine.api import score_geometries

    wkt = crs_wkt(crs)
    if not wkt:
        raise ScoringError(tr("The answer layer has no valid CRS: areas cannot be measured"))
    answer_items = source_geometries(answers, crs, transform_context, rect, None, is_cancelled)
    reference_items = source_geometries(references, crs, transform_context, rect, reference_filter, is_cancelled)
    region = None if rect is None or rect.isEmpty() else box(rect.xMinimum(), rect.yMinimum(), rect.xMaximum(),
                                                               rect.yMaximum())
    return score_geometries([g for _, g in answer_items], [g for _, g in reference_items], wkt, region, match_iou,
                            answer_ids=[i for i, _ in answer_items], reference_ids=[i for i, _ in reference_items])


def qgs_feature(fields: QgsFields, geometry, attrs: dict) -> QgsFeature:
    """A QgsFeature of `fields` from a shapely geometry (None: no geometry) and an attribute dict."""
    feature = QgsFeature(fields)
    if geometry is not None:
        geom = QgsGeometry()
        geom.fromWkb(geometry.wkb)
        geom.convertToMultiType()
        feature.setGeometry(geom)
    feature.setAttributes([_plain(attrs.get(name)) for name in fields.names()])
    return feature


def typed_fields(spec: dict) -> QgsFields:
    """QgsFields from {name: example value}."""
    fields = QgsFields()
    for name, example in spec.items():
        fields.append(QgsField(name, _field_type(example)))
    return fields


def outcome_fields() -> QgsFields:
    return typed_fields(OUTCOME_FIELDS)


def outcome_features(scores, fields: QgsFields) -> list[QgsFeature]:
    return [qgs_feature(fields, geometry, attrs) for geometry, attrs in scores.table()]


def style_outcomes(layer: QgsVectorLayer) -> None:
    """Matched references green, missed ones as red outlines, false alarms orange; categorised on `status`."""
    categories = []
    for status, (label, fill, outline) in STATUS_STYLES.items():
        symbol = QgsFillSymbol.createSimple({"color": fill, "outline_color": outline, "outline_width": "0.6",
                                             "outline_width_unit": "MM"})
        categories.append(QgsRendererCategory(status, symbol, label()))
    layer.setRenderer(QgsCategorizedSymbolRenderer("status", categories))


def outcome_layer(scores, crs: QgsCoordinateReferenceSystem, name: str) -> QgsVectorLayer:
    """A styled memory layer of the matched / missed / false-alarm table."""
    layer = QgsVectorLayer("MultiPolygon", name, "memory")
    layer.setCrs(crs)
    fields = outcome_fields()
    layer.dataProvider().addAttributes(list(fields))
    layer.updateFields()
    layer.dataProvider().addFeatures(outcome_features(scores, layer.fields()))
    layer.updateExtents()
    style_outcomes(layer)
    return layer


def no_reference_warning(count: int, expression: str | None = None) -> str | None:
    """A warning when no reference polygon takes part (the scores would compare the answer with nothing), or None."""
    if count:
        return None
    if expression:
        return tr("The reference filter {} matches no reference polygon here: the scores compare the answer with "
                  "nothing.").format(expression)
    return tr("No reference polygon lies in the extent the question was asked on: the scores compare the answer with "
              "nothing.")


def summary_text(scores) -> str:
    """A few lines for the dock and the Processing log."""
    s = scores.summary()
    return tr("IoU {iou:.3f}, precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}\n"
              "answer {answer:.0f} m², reference {reference:.0f} m², overlap {overlap:.0f} m²\n"
              "{references} references: {matched} matched, {missed} missed; {false_alarms} false alarms "
              "(match: IoU ≥ {match_iou:g})").format(
        iou=s["iou"], precision=s["precision"], recall=s["recall"], f1=s["f1"], answer=s["answer_m2"],
        reference=s["reference_m2"], overlap=s["intersection_m2"], references=s["references"], matched=s["matched"],
        missed=s["missed"], false_alarms=s["false_alarms"], match_iou=s["match_iou"])
