"""The Processing algorithms under faults, in real QGIS with the tiny model: an output on a full disk (a real small
tmpfs) or a read-only one, a model parameter naming a file, a question table without a question column, a reference
filter that matches nothing. Each fails (or warns) with the cause, and before the model runs where it can."""

from __future__ import annotations

import pytest
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback

from tests.conftest import mounted_tmpfs
from tests.plugin.conftest import RecordingFeedback


def _failure(algorithm_id: str, parameters: dict, feedback=None) -> str:
    """processAlgorithm itself (processing.run hides the message behind a generic one): the error it raises."""
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(algorithm_id)
    context = QgsProcessingContext()
    with pytest.raises(QgsProcessingException) as caught:
        algorithm.processAlgorithm(parameters, context, feedback or QgsProcessingFeedback())
    return str(caught.value)


def test_segment_on_a_full_disk_fails_saying_so_and_leaves_no_broken_file(provider, engine_available, rgbn_layer,
                                                                          tiny_model, small_disk):
    """It returned its OUTPUT as a success, and the GeoPackage left there was unreadable."""
    from qgis import processing

    target = small_disk / "answer.gpkg"
    with pytest.raises(QgsProcessingException) as caught:
        processing.run("segearth:segmentbyquestion", {
            "INPUT": rgbn_layer, "QUESTION": "fields", "TASK": 0, "MODE": 0, "MODEL": str(tiny_model),
            "OUTPUT": str(target)}, context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    message = str(caught.value)
    assert "The disk is full (" in message and "answer.gpkg was not written" in message, message
    assert list(small_disk.iterdir()) == []  # no unreadable GeoPackage (nor its journal) left behind


def test_a_read_only_output_is_refused_before_the_model_runs(provider, engine_available, rgbn_layer, tiny_model,
                                                             tmp_path):
    feedback = RecordingFeedback()
    with mounted_tmpfs(tmp_path / "readonly", read_only=True) as folder:
        message = _failure("segearth:segmentbyquestion", {
            "INPUT": rgbn_layer, "QUESTION": "fields", "TASK": 0, "MODE": 0, "MODEL": str(tiny_model),
            "OUTPUT": str(folder / "answer.gpkg")}, feedback)
    assert message.startswith(f"The output {folder / 'answer.gpkg'} cannot be written: Read-only file system")
    assert message.endswith("Nothing was computed.")
    assert not any(info.startswith("Model ") for info in feedback.infos)  # the model was never loaded


def test_a_model_parameter_naming_a_file_says_to_choose_its_folder(provider, rgbn_layer, tiny_model):
    """It said "Folder does not exist: …/config.json"."""
    message = _failure("segearth:segmentbyquestion", {
        "INPUT": rgbn_layer, "QUESTION": "fields", "TASK": 0, "MODE": 0, "MODEL": str(tiny_model / "config.json"),
        "OUTPUT": "memory:"})
    assert message == (f"{tiny_model / 'config.json'} is a file: choose the model folder, the one holding "
                       f"config.json (here: {tiny_model})")


def test_a_question_table_without_a_question_column_is_refused_up_front(provider, rgbn_layer, tiny_model, project):
    """Each row failed alone with "the question is empty"."""
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

    table = QgsVectorLayer("Polygon?crs=EPSG:32618&field=id:string&field=text:string", "questions", "memory")
    feature = QgsFeature(table.fields())
    feature.setGeometry(QgsGeometry.fromRect(rgbn_layer.extent()))
    feature.setAttributes(["a", "open flat ground"])
    table.dataProvider().addFeatures([feature])
    project.addMapLayer(table)
    feedback = RecordingFeedback()
    message = _failure("segearth:answerquestionset", {
        "RASTER": rgbn_layer, "QUESTIONS": table, "MODEL": str(tiny_model), "MODE": 0, "MATCH_IOU": 0.5,
        "OUTPUT": "memory:"}, feedback)
    assert message == "The question table has no \"question\" column (its columns: id, text). Nothing was run."
    assert not any(info.startswith("Model ") for info in feedback.infos)


def test_a_reference_filter_matching_nothing_warns_that_the_scores_compare_with_nothing(provider, project):
    """It reported "0 references" and IoU 0 without a word."""
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

    layers = []
    for name in ("answer", "reference"):
        layer = QgsVectorLayer("Polygon?crs=EPSG:32633&field=class:string", name, "memory")
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromWkt("POLYGON((500000 4600000,500020 4600000,500020 4600020,"
                                                "500000 4600000))"))
        feature.setAttributes(["road"])
        layer.dataProvider().addFeatures([feature])
        project.addMapLayer(layer)
        layers.append(layer)
    from qgis import processing

    feedback = RecordingFeedback()
    result = processing.run("segearth:scoreagainstreference", {
        "ANSWER": layers[0], "REFERENCE": layers[1], "REFERENCE_FILTER": "\"class\" = 'roof'", "MATCH_IOU": 0.5,
        "OUTPUT": "memory:"}, context=QgsProcessingContext(), feedback=feedback)
    assert result["MISSED"] == 0 and result["IOU"] == 0.0
    assert feedback.warnings == ["The reference filter \"class\" = 'roof' matches no reference polygon here: the "
                                 "scores compare the answer with nothing."]
