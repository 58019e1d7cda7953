"""Processing "Score against reference" on real QGIS: hand-made answer and reference polygons (different CRSs and
providers) whose scores are computed by hand, the extent and filter options, and the styled outcome layer."""

from __future__ import annotations

import pytest
from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsFeature,
    QgsGeometry,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)

X0, Y0 = 500000.0, 4600000.0  # EPSG:32633, metres
# answers: A1 20x20, A2 20x20 far from any reference, A3 20x20; references: R1 = A1 shifted by 10 m (IoU 1/3: missed),
# R3 = the lower 20x16 of A3 (IoU 0.8: matched)
ANSWERS = [(0, 0, 20, 20), (100, 0, 120, 20), (200, 0, 220, 20)]
REFERENCES = [((10, 0, 30, 20), "road"), ((200, 0, 220, 16), "roof")]



def _box(x0, y0, x1, y1) -> QgsGeometry:
    return QgsGeometry.fromWkt(f"POLYGON(({X0 + x0} {Y0 + y0},{X0 + x1} {Y0 + y0},{X0 + x1} {Y0 + y1},"
                               f"{X0 + x0} {Y0 + y1},{X0 + x0} {Y0 + y0}))")


@pytest.fixture()
def answer_layer(project):
    layer = QgsVectorLayer("MultiPolygon?crs=EPSG:32633&field=question:string", "answer", "memory")
    features = []
    for box in ANSWERS:
        feature = QgsFeature(layer.fields())
        feature.setGeometry(_box(*box))
        feature.setAttributes(["roads"])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    project.addMapLayer(layer)
    return layer


@pytest.fixture()
def reference_layer(project, tmp_path):
    """The references in a GeoPackage in EPSG:4326: another CRS and another provider than the answers."""
    import fiona
    from shapely import wkt
    from shapely.geometry import mapping

    from segearth_engine.evaluation.question_set import transform_geometry

    path = tmp_path / "reference.gpkg"
    schema = {"geometry": "Polygon", "properties": {"class": "str"}}
    with fiona.open(path, "w", driver="GPKG", crs="EPSG:4326", schema=schema, layer="ref") as sink:
        for box, cls in REFERENCES:
            shape = transform_geometry(wkt.loads(_box(*box).asWkt()), "EPSG:32633", "EPSG:4326")
            sink.write({"geometry": mapping(shape), "properties": {"class": cls}})
    layer = QgsVectorLayer(f"{path}|layername=ref", "reference", "ogr")
    assert layer.isValid() and layer.crs().authid() == "EPSG:4326"
    project.addMapLayer(layer)
    return layer


def _run(parameters: dict) -> dict:
    from qgis import processing

    return processing.run("segearth:scoreagainstreference", {"OUTPUT": "memory:", **parameters},
                          context=QgsProcessingContext(), feedback=QgsProcessingFeedback())


def test_scores_match_the_hand_computation(provider, answer_layer, reference_layer):
    result = _run({"ANSWER": answer_layer, "REFERENCE": reference_layer})
    # answer 3 x 400 = 1200 m², reference 400 + 320 = 720 m², overlap 200 + 320 = 520 m², union 1400 m²
    assert result["ANSWER_M2"] == pytest.approx(1200, rel=1e-4)
    assert result["REFERENCE_M2"] == pytest.approx(720, rel=1e-4)
    assert result["INTERSECTION_M2"] == pytest.approx(520, rel=1e-4)
    assert result["IOU"] == pytest.approx(13 / 35, rel=1e-4)
    assert result["PRECISION"] == pytest.approx(13 / 30, rel=1e-4)
    assert result["RECALL"] == pytest.approx(13 / 18, rel=1e-4)
    assert result["F1"] == pytest.approx(13 / 24, rel=1e-4)
    assert (result["MATCHED"], result["MISSED"], result["FALSE_ALARMS"]) == (1, 1, 2)
    assert "IoU 0.371" in result["SUMMARY"]
    layer = result["OUTPUT"]
    rows = sorted((f["status"], f["ref_id"], f["answer_id"], round(f["iou"], 3)) for f in layer.getFeatures())
    fid = {f["class"]: str(f.id()) for f in reference_layer.getFeatures()}
    assert rows == [("false_alarm", None, "1", 0.333), ("false_alarm", None, "2", 0.0),
                    ("matched", fid["roof"], "3", 0.8), ("missed", fid["road"], None, 0.333)]
    assert layer.crs().authid() == "EPSG:32633"


def test_outcomes_table_one_row_per_reference_and_false_alarm(provider, answer_layer, reference_layer):
    layer = _run({"ANSWER": answer_layer, "REFERENCE": reference_layer})["OUTPUT"]
    by_status = {}
    for feature in layer.getFeatures():
        by_status.setdefault(feature["status"], []).append(feature)
    assert sorted(by_status) == ["false_alarm", "matched", "missed"]
    (matched,), (missed,) = by_status["matched"], by_status["missed"]
    assert matched["area_m2"] == pytest.approx(320, rel=1e-4) and matched["covered"] == pytest.approx(1.0)
    assert missed["iou"] == pytest.approx(1 / 3, rel=1e-4) and missed["covered"] == pytest.approx(0.5, rel=1e-4)
    alarms = sorted(round(f["iou"], 3) for f in by_status["false_alarm"])
    assert alarms == [0.0, 0.333]  # A2 touches nothing; A1 overlaps R1 by a third, under the 0.5 match


def test_extent_and_reference_filter(provider, answer_layer, reference_layer):
    left = f"{X0 - 5},{X0 + 150},{Y0 - 5},{Y0 + 50} [EPSG:32633]"  # A1, A2 and R1 only
    result = _run({"ANSWER": answer_layer, "REFERENCE": reference_layer, "EXTENT": left})
    assert result["IOU"] == pytest.approx(200 / 1000, rel=1e-4)
    assert (result["MATCHED"], result["MISSED"], result["FALSE_ALARMS"]) == (0, 1, 2)
    roofs = _run({"ANSWER": answer_layer, "REFERENCE": reference_layer, "REFERENCE_FILTER": "\"class\" = 'roof'"})
    assert roofs["IOU"] == pytest.approx(320 / 1200, rel=1e-4) and roofs["MISSED"] == 0


def test_bad_filter_is_explained(provider, answer_layer, reference_layer):
    from qgis.core import QgsProcessingException

    algorithm = QgsApplication.processingRegistry().createAlgorithmById("segearth:scoreagainstreference")
    with pytest.raises(QgsProcessingException, match="Reference filter"):
        algorithm.processAlgorithm({"ANSWER": answer_layer, "REFERENCE": reference_layer,
                                    "REFERENCE_FILTER": "\"class\" = = 'x'", "MATCH_IOU": 0.5, "OUTPUT": "memory:"},
                                   QgsProcessingContext(), QgsProcessingFeedback())


def test_loaded_outcome_layer_is_styled_by_status(provider, answer_layer, reference_layer, monkeypatch):
    from processing.gui import Postprocessing
    from qgis import processing

    # no desktop here: pytest-qgis's stand-in iface has no layer tree view, which QGIS 3.44 hands to a C++ call
    monkeypatch.setattr(Postprocessing, "iface", None, raising=False)
    before = set(QgsProject.instance().mapLayers())
    processing.runAndLoadResults("segearth:scoreagainstreference",
                                 {"ANSWER": answer_layer, "REFERENCE": reference_layer, "OUTPUT": "memory:"})
    (new_id,) = set(QgsProject.instance().mapLayers()) - before
    renderer = QgsProject.instance().mapLayer(new_id).renderer()
    assert isinstance(renderer, QgsCategorizedSymbolRenderer) and renderer.classAttribute() == "status"
    assert [c.value() for c in renderer.categories()] == ["matched", "missed", "false_alarm"]
