"""Processing "Answer a question set" on real QGIS with the tiny model: a CSV table (bbox columns) and a polygon table,
references in another CRS, per-row scores against a hand-computed value, a failing row skipped, progress per row,
cancel, and the same engine numbers as `segearth eval-questions`."""

from __future__ import annotations

import csv

import pytest
from qgis.core import (
    QgsApplication,
    QgsFeature,
    QgsGeometry,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsVectorLayer,
)

from tests.plugin.conftest import RecordingFeedback

# 200 x 200 pixels of rgbn.tif (EPSG:32618, 5 m), aligned to its grid: exactly 1 km²
REGION = (793003.0, 2049282.0, 794003.0, 2050282.0)
OUTSIDE = (700000.0, 2000000.0, 701000.0, 2001000.0)


@pytest.fixture()
def questions_csv(tmp_path):
    path = tmp_path / "questions.csv"
    rows = [("whole", "open flat ground", "reasoning", *REGION, "\"class\" = 'field'"),
            ("again", "the river", "referring", *REGION, ""),
            ("away", "roads", "reasoning", *OUTSIDE, "")]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question", "task", "minx", "miny", "maxx", "maxy", "ref_filter"])
        writer.writerows(rows)
    return path


@pytest.fixture()
def reference_layer(project):
    """One reference in EPSG:4326 covering REGION exactly (class 'field') and one small one elsewhere ('pond')."""
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject

    layer = QgsVectorLayer("Polygon?crs=EPSG:4326&field=class:string", "references", "memory")
    transform = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:32618"),
                                       QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance())
    features = []
    for cls, (x0, y0, x1, y1) in (("field", REGION), ("pond", (793100, 2049400, 793200, 2049500))):
        geometry = QgsGeometry.fromWkt(f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))")
        geometry = QgsGeometry(geometry.densifyByCount(20))
        geometry.transform(transform)
        feature = QgsFeature(layer.fields())
        feature.setGeometry(geometry)
        feature.setAttributes([cls])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    project.addMapLayer(layer)
    return layer


def test_question_set_from_csv_with_references(provider, engine_available, rgbn_layer, tiny_model, questions_csv,
                                               reference_layer):
    from qgis import processing

    feedback, context = RecordingFeedback(), QgsProcessingContext()
    result = processing.run("segearth:answerquestionset", {
        "RASTER": rgbn_layer, "QUESTIONS": str(questions_csv), "MODEL": str(tiny_model), "MODE": 0,
        "REFERENCE": reference_layer, "REFERENCE_FILTER": "\"class\" = 'pond'",
        "OUTPUT": "memory:answers", "SCORES": "memory:scores"}, context=context, feedback=feedback)
    assert (result["ROWS"], result["ANSWERED"], result["FAILED"], result["SCORED"]) == (3, 2, 1, 2)
    assert feedback.texts[:3] == ["row 1/3", "row 2/3", "row 3/3"]
    assert len(feedback.errors) == 1 and "row away: FAILED, skipped" in feedback.errors[0]
    assert "does not overlap" in feedback.errors[0]

    answers = result["OUTPUT"]
    assert answers.fields().names()[0] == "row_id" and answers.crs() == rgbn_layer.crs()
    by_row: dict[str, float] = {}
    for feature in answers.getFeatures():
        by_row[feature["row_id"]] = by_row.get(feature["row_id"], 0.0) + feature["area_m2"]
    assert set(by_row) == {"whole", "again"} and by_row["whole"] > 0  # the tiny model answers part of the region

    scores = {f["row_id"]: f for f in result["SCORES"].getFeatures()}
    assert [scores[k]["status"] for k in ("whole", "again", "away")] == ["scored", "scored", "failed"]
    whole, again = scores["whole"], scores["again"]
    # row 'whole' is scored against the 'field' reference = its whole 1 km² region: IoU = answer area / 1e6
    assert whole["reference_m2"] == pytest.approx(1e6, rel=1e-5)
    assert whole["iou"] == pytest.approx(by_row.get("whole", 0.0) / 1e6, rel=1e-4, abs=1e-6)
    assert whole["recall"] == pytest.approx(whole["iou"], rel=1e-4, abs=1e-6)
    # row 'again' has no ref_filter: the algorithm's default filter picks the 100 m 'pond' square
    assert again["reference_m2"] == pytest.approx(1e4, rel=1e-4)
    assert "does not overlap" in scores["away"]["error"]
    assert scores["away"]["iou"] is None or scores["away"]["iou"].isNull()  # QGIS 3.22 gives a null QVariant
    assert result["GIOU"] == pytest.approx((whole["iou"] + again["iou"]) / 2, abs=1e-6)
    assert result["SCORES"].getFeature(1).geometry().boundingBox().width() == pytest.approx(1000, rel=1e-6)


def test_polygon_table_rows_and_cancel(provider, engine_available, rgbn_layer, tiny_model, project):
    from qgis import processing

    table = QgsVectorLayer("Polygon?crs=EPSG:32618&field=id:string&field=question:string", "q", "memory")
    x0, y0, x1, y1 = REGION
    feature = QgsFeature(table.fields())
    feature.setGeometry(QgsGeometry.fromWkt(f"POLYGON(({x0} {y0},{x1} {y0},{x0} {y1},{x0} {y0}))"))  # a triangle
    feature.setAttributes(["tri", "fields"])
    table.dataProvider().addFeatures([feature])
    project.addMapLayer(table)
    params = {"RASTER": rgbn_layer, "QUESTIONS": table, "MODEL": str(tiny_model), "OUTPUT": "memory:"}
    result = processing.run("segearth:answerquestionset", params, context=QgsProcessingContext(),
                            feedback=QgsProcessingFeedback())
    assert (result["ROWS"], result["ANSWERED"], result["SCORED"]) == (1, 1, 0) and result["GIOU"] is None
    for answer in result["OUTPUT"].getFeatures():
        assert answer["row_id"] == "tri"

    cancelled = QgsProcessingFeedback()
    cancelled.cancel()
    algorithm = QgsApplication.processingRegistry().createAlgorithmById("segearth:answerquestionset")
    with pytest.raises(QgsProcessingException, match="(Cancelled|no rows)"):
        algorithm.processAlgorithm({**params, "MODE": 0, "MATCH_IOU": 0.5}, QgsProcessingContext(), cancelled)


def test_question_set_is_usable_in_a_model(provider):
    """The algorithm can be a child of a Graphical Modeler model, its outputs feeding the scoring algorithm."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
    )

    model = QgsProcessingModelAlgorithm("check", "segearth")
    answer = QgsProcessingModelChildAlgorithm("segearth:answerquestionset")
    answer.setChildId("answer")
    model.addChildAlgorithm(answer)
    score = QgsProcessingModelChildAlgorithm("segearth:scoreagainstreference")
    score.setChildId("score")
    score.addParameterSources("ANSWER", [QgsProcessingModelChildParameterSource.fromChildOutput("answer", "OUTPUT")])
    output = QgsProcessingModelOutput("outcomes")
    output.setChildOutputName("OUTPUT")
    score.setModelOutputs({"outcomes": output})
    model.addChildAlgorithm(score)
    assert model.childAlgorithm("answer").algorithm() is not None
    assert model.childAlgorithm("score").algorithm() is not None
    assert "answer" in model.dependsOnChildAlgorithms("score")


class ExportWatchingFeedback(QgsProcessingFeedback):
    """Records info lines; `cancel_on_export`: cancels as the model's first ONNX export starts."""

    def __init__(self, cancel_on_export: bool = False) -> None:
        super().__init__()
        self.infos: list[str] = []
        self.cancel_on_export = cancel_on_export

    def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API
        self.infos.append(info)
        if self.cancel_on_export and "ONNX" in info:
            self.cancel()
        super().pushInfo(info)


@pytest.mark.parametrize("cancel", [False, True])
def test_question_set_exports_a_new_model_the_plugin_way(provider, engine_available, rgbn_layer, tmp_path, cancel):
    """A model without graphs is exported in a child process that the algorithm's Cancel stops (engine_run's
    load_segmenter, as the dock's questions and background load), not in QGIS's own process."""
    from segearth_engine.tiny_models.r1 import make_tiny_model

    model = make_tiny_model(tmp_path / "fresh", seed=0)
    assert not (model / "onnx").exists()
    table = QgsVectorLayer("Polygon?crs=EPSG:32618&field=id:string&field=question:string", "q", "memory")
    x0, y0, x1, y1 = REGION
    feature = QgsFeature(table.fields())
    feature.setGeometry(QgsGeometry.fromWkt(f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"))
    feature.setAttributes(["all", "fields"])
    table.dataProvider().addFeatures([feature])
    params = {"RASTER": rgbn_layer, "QUESTIONS": table, "MODEL": str(model), "OUTPUT": "memory:", "MODE": 0,
              "MATCH_IOU": 0.5}
    feedback = ExportWatchingFeedback(cancel_on_export=cancel)
    algorithm = QgsApplication.processingRegistry().createAlgorithmById("segearth:answerquestionset")
    if cancel:
        with pytest.raises(QgsProcessingException, match="Cancelled"):
            algorithm.processAlgorithm(params, QgsProcessingContext(), feedback)
        assert not list((model / "onnx").glob("*.onnx"))  # the killed export left no graph behind
    else:
        result = algorithm.processAlgorithm(params, QgsProcessingContext(), feedback)
        assert result["ANSWERED"] == 1
        assert (model / "onnx" / "vision_encoder.onnx").is_file()
    assert "Exporting the model's ONNX graphs (once)" in feedback.infos
