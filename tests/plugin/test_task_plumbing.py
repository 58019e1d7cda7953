"""Task plumbing with a scripted engine: progress/stages, cancel leaves nothing, errors reach the message bar.

The real model runs in test_task_tiny_model.py; here the engine is replaced so that timing is deterministic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from qgis.core import Qgis, QgsProject
from shapely.geometry import box

from segearth_qgis import dependencies


@dataclass(frozen=True)
class FakeRequest:
    question: str
    task: str = "reasoning"
    mode: str = "view"
    extent: tuple | None = None
    extent_crs: str | None = None
    resolution: float | None = None
    bands: tuple | None = None
    overlap: int = 128
    min_area: float = 0.0
    simplify: float = 0.0


def fake_engine(delay: float = 0.0, fail: str = ""):
    from segearth_engine.errors import Cancelled, InputError

    class Segmenter:
        model_id = "fake"
        device = "CPU (fake)"
        image_size = 64

        @classmethod
        def from_pretrained(cls, model_dir):
            return cls()

    def segment_raster(source, segmenter, request, *, progress=None, is_cancelled=None, cache=None):
        for i, stage in enumerate(("encoding", "reasoning", "decoding", "vectorising")):
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline:
                if is_cancelled and is_cancelled():
                    raise Cancelled()
                time.sleep(0.01)
            if progress:
                progress(i / 4, stage)
        if fail:
            raise InputError(fail)
        t = source.transform
        geom = box(t.c + 10 * t.a, t.f + 20 * t.e, t.c + 50 * t.a, t.f + 5 * t.e)
        attrs = {"question": request.question, "model": segmenter.model_id, "mode": request.mode,
                 "area_m2": geom.area, "mean_prob": 0.9}
        return SimpleNamespace(features=[(geom, attrs)], crs_wkt=source.crs_wkt, stats={})

    return SimpleNamespace(Segmenter=Segmenter), SimpleNamespace(SegmentationRequest=FakeRequest,
                                                                 segment_raster=segment_raster)


@pytest.fixture()
def model_dir(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text('{"segearth_engine": {}}', encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"")
    return folder


def _prepare(plugin, layer, model_dir, question="where could a small plane land?"):
    plugin.dock.follow_layer(layer)
    plugin.dock.question.setPlainText(question)
    plugin.dock.model_panel.set_model_dir(str(model_dir))
    return plugin.dock.build_request()


def test_task_adds_layer_with_progress(plugin, rgbn_layer, model_dir, monkeypatch, wait_task):
    monkeypatch.setattr(dependencies, "load_engine", lambda: fake_engine(0.05))
    stages = []
    task = plugin.run_request(_prepare(plugin, rgbn_layer, model_dir))
    task.stageChanged.connect(stages.append)
    assert not plugin.dock.run_button.isEnabled() and plugin.dock.cancel_button.isEnabled()
    wait_task(task, 60)
    assert plugin.task is None and plugin.dock.run_button.isEnabled()
    layer = plugin.last_result_layer
    assert layer is not None and layer.featureCount() == 1
    assert layer.crs() == rgbn_layer.crs()
    assert "vectorising" in stages
    assert plugin.dock.model_panel.device.text() == "CPU (fake)"
    assert "test model" in plugin.dock.model_panel.status.text()  # random weights are never presented as real
    assert plugin.dock.history_for(rgbn_layer.id()) == ["where could a small plane land?"]


def test_cancel_leaves_no_layer(plugin, rgbn_layer, model_dir, monkeypatch, wait_task, spin):
    monkeypatch.setattr(dependencies, "load_engine", lambda: fake_engine(5.0))
    before = set(QgsProject.instance().mapLayers())
    task = plugin.run_request(_prepare(plugin, rgbn_layer, model_dir))
    spin(lambda: task.status() == task.TaskStatus.Running, 10)
    plugin.cancel()
    wait_task(task, 30)
    assert set(QgsProject.instance().mapLayers()) == before
    assert plugin.last_result_layer is None
    assert "Cancelled" in plugin.dock.stage.text()


def test_engine_error_goes_to_message_bar(plugin, rgbn_layer, model_dir, monkeypatch, wait_task, qgis_iface):
    monkeypatch.setattr(dependencies, "load_engine", lambda: fake_engine(0.0, fail="band 5 does not exist"))
    qgis_iface.messageBar().clear_messages()
    task = plugin.run_request(_prepare(plugin, rgbn_layer, model_dir))
    wait_task(task, 30)
    critical = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Critical)
    assert any("band 5 does not exist" in m for m in critical)
    assert plugin.last_result_layer is None


def test_second_run_refused_while_busy(plugin, rgbn_layer, model_dir, monkeypatch, wait_task):
    monkeypatch.setattr(dependencies, "load_engine", lambda: fake_engine(1.0))
    request = _prepare(plugin, rgbn_layer, model_dir)
    task = plugin.run_request(request)
    assert plugin.run_request(request) is None
    plugin.cancel()
    wait_task(task, 30)
