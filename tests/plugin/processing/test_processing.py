"""The Processing algorithm "Segment raster by question" runs the same engine and writes a vector layer."""

from __future__ import annotations

import pytest
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback


def test_algorithm_is_registered_with_parameters(provider):
    algorithm = QgsApplication.processingRegistry().algorithmById("segearth:segmentbyquestion")
    assert algorithm is not None and algorithm.displayName() == "Segment raster by question"
    names = [p.name() for p in algorithm.parameterDefinitions()]
    assert names == ["INPUT", "QUESTION", "TASK", "MODE", "MODEL", "EXTENT", "OUTPUT"]


def test_algorithm_runs_tiny_model(provider, engine_available, rgbn_layer, tiny_model):
    from qgis import processing

    context = QgsProcessingContext()
    feedback = QgsProcessingFeedback()
    result = processing.run("segearth:segmentbyquestion", {
        "INPUT": rgbn_layer, "QUESTION": "open flat ground", "TASK": 0, "MODE": 0, "MODEL": str(tiny_model),
        "OUTPUT": "memory:answer"}, context=context, feedback=feedback)
    layer = context.getMapLayer(result["OUTPUT"]) if isinstance(result["OUTPUT"], str) else result["OUTPUT"]
    assert layer is not None and layer.isValid()
    assert layer.crs() == rgbn_layer.crs()
    assert layer.fields().names()[:5] == ["question", "model", "mode", "area_m2", "mean_prob"]


def test_algorithm_explains_missing_question(provider, rgbn_layer, tmp_path):
    from qgis import processing
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException):
        processing.run("segearth:segmentbyquestion", {
            "INPUT": rgbn_layer, "QUESTION": " ", "TASK": 0, "MODE": 0, "MODEL": str(tmp_path),
            "OUTPUT": "memory:"})



def _process(parameters: dict) -> str:
    """Run processAlgorithm itself (processing.run hides the message behind a generic error); return the error."""
    from qgis.core import QgsProcessingException

    algorithm = QgsApplication.processingRegistry().createAlgorithmById("segearth:segmentbyquestion")
    with pytest.raises(QgsProcessingException) as caught:
        algorithm.processAlgorithm(parameters, QgsProcessingContext(), QgsProcessingFeedback())
    return str(caught.value)


def test_algorithm_refuses_extent_outside_layer_and_missing_model(provider, rgbn_layer, tmp_path):
    base = {"INPUT": rgbn_layer, "QUESTION": "roads", "TASK": 0, "MODE": 0, "MODEL": str(tmp_path),
            "OUTPUT": "memory:"}
    full = rgbn_layer.extent()
    away = f"{full.xMaximum() + 100},{full.xMaximum() + 200},{full.yMinimum()},{full.yMaximum()} [EPSG:32618]"
    assert "does not overlap" in _process(dict(base, EXTENT=away))
    assert "config.json" in _process(base)
