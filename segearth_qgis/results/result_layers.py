"""The result layers a session added: a finished question's answer becomes a styled layer in the project, offered
for export, and the selected (or last) one is what Export… and scoring act on."""

from __future__ import annotations

from qgis.core import QgsCoordinateReferenceSystem, QgsProject

from .export_plan import SOURCE_PROPERTY
from .layers import add_result_layer, build_result_layer, is_result_layer
from .score_panel import remember_run_extent


def answer_details(task) -> dict[str, str]:
    """What the layer's metadata says about the answer: model, family, device, task, mode, source, answer text."""
    request, result, info = task.request, task.result, task.model_info
    answer = result.answer  # set by multi-target models (SegEarth-R2) only
    targets = list(result.targets) if answer is not None else None
    return {"model": task.model_id or info.model_id, "family": info.family, "revision": info.revision,
            "device": task.device, "task": "" if targets is not None else request.task, "mode": request.mode,
            "source layer": task.layer_name, "weights": "random test model" if info.state == "test" else "",
            "answer": answer or "", "targets": "; ".join(targets or [])}


class ResultLayers:
    """Ids of the result layers added here: a removed layer's Python wrapper must never be touched again."""

    def __init__(self, iface, exporter) -> None:
        self.iface, self.exporter = iface, exporter
        self.ids: list[str] = []

    def last(self):
        """The newest result layer still in the project, or None."""
        for layer_id in reversed(self.ids):
            layer = QgsProject.instance().mapLayer(layer_id)
            if is_result_layer(layer):
                return layer
        return None

    def selected_or_last(self):
        """The selected layer when it is a result layer, else the last one (Export…, Score against reference)."""
        layer = self.iface.activeLayer()
        return layer if is_result_layer(layer) else self.last()

    def add(self, task):
        """The answer of a finished SegmentTask as a result layer in the project (GUI thread); returns the layer."""
        result = task.result
        targets = list(result.targets) if result.answer is not None else None
        crs = task.crs if task.crs.isValid() else QgsCoordinateReferenceSystem.fromWkt(result.crs_wkt)
        layer = build_result_layer(list(result.features), task.request.question, crs, answer_details(task), targets,
                                   prepared=task.prepared)
        layer.setCustomProperty(SOURCE_PROPERTY, task.layer_file)  # exports never write over it
        add_result_layer(layer)
        remember_run_extent(layer, result)
        self.exporter.offer_on(layer)
        self.ids.append(layer.id())
        return layer
