"""Cancel and GUI responsiveness with the real engine, real QGIS tasks and the tiny random model.

A cancel is honoured within 2 s at every stage (the first ONNX export, the model load, encoding, the LLM,
vectorising), leaves nothing, and is reported as cancelled (the task completes: QGIS calls a terminated task
"failed"). The GUI thread is never blocked more than 200 ms during a cold first run, measured by a QTimer in a
fresh QGIS process (run_task_probe.py), where torch and onnxruntime are not imported yet.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from qgis.core import QgsProject, QgsTask

pytestmark = pytest.mark.usefixtures("engine_available")
REPO = Path(__file__).resolve().parents[3]
CANCEL_WITHIN_S = 2.0
STALL_LIMIT_MS = 200


def _cold_copy(model: Path, folder: Path) -> Path:
    """The model folder without its ONNX graphs: loading it exports them first."""
    shutil.copytree(model, folder, ignore=shutil.ignore_patterns("onnx"))
    return folder


@pytest.fixture(scope="module")
def exported_model(tiny_model, tmp_path_factory) -> Path:
    """A copy of the tiny model with its ONNX graphs already exported (a warm model folder)."""
    from segearth_engine.api import export_graphs, graphs_to_export

    folder = _cold_copy(tiny_model, tmp_path_factory.mktemp("warm") / "tiny")
    export_graphs(folder, graphs_to_export(folder))
    assert graphs_to_export(folder) is None
    return folder


def _children_using(path: Path) -> list[str]:
    """Live processes whose command line names `path` (the export child)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(path).encode() in (proc / "cmdline").read_bytes():
                found.append(proc.name)
        except OSError:
            continue
    return found


def _start(plugin, layer, model: Path):
    dock = plugin.dock
    dock.follow_layer(layer)
    dock.question.setPlainText("where could a small plane land?")
    dock.model_panel.set_model_dir(str(model))
    seen = {"stages": [], "status": None}
    # stages as the dock shows them, recorded from before the task starts (it may reach one before run_request returns)
    from segearth_qgis.running.task import STAGES, stage_text

    names = {stage_text(stage): stage for stage in STAGES}
    shown = dock.set_stage
    dock.set_stage = lambda text: (seen["stages"].append(names.get(text, text)), shown(text))
    task = plugin.run_request(dock.build_request())
    assert task is not None, dock.stage.text()
    task.statusChanged.connect(lambda status: seen.update(status=status))
    handler = task.on_done

    def done(finished) -> None:
        seen.update(done_at=time.monotonic(), cancelled=finished.cancelled, error=finished.error,
                    description=finished.description())
        handler(finished)

    task.on_done = done
    return task, seen


def _cancel_at(plugin, layer, model: Path, stage: str, spin, delay: float = 0.2) -> dict:
    """Start a run, cancel it `delay` s into `stage`, wait for the end; what happened, with the cancel latency."""
    layers_before = set(QgsProject.instance().mapLayers())
    task, seen = _start(plugin, layer, model)
    assert spin(lambda: stage in seen["stages"] or "done_at" in seen, 600, 0.005), seen
    assert "done_at" not in seen, f"the run ended before {stage!r}: {seen}"
    spin(lambda: False, delay, 0.005)
    cancelled_at = time.monotonic()
    plugin.cancel()
    assert spin(lambda: "done_at" in seen, 60, 0.005), "the cancelled task never ended"
    spin(lambda: False, 0.3)
    seen["latency"] = seen["done_at"] - cancelled_at
    print(f"cancel {delay} s into {stage!r}: reported cancelled after {seen['latency']:.3f} s")
    seen["layers_added"] = set(QgsProject.instance().mapLayers()) - layers_before
    return seen


def _assert_reported_cancelled(plugin, seen: dict, stage: str) -> None:
    assert seen["latency"] < CANCEL_WITHIN_S, f"cancel during {stage!r} took {seen['latency']:.2f} s"
    assert seen["cancelled"] and seen["error"] is None, seen
    assert seen["status"] == QgsTask.TaskStatus.Complete, "a cancel asked for must not be a failed (terminated) task"
    assert seen["description"].endswith("(cancelled)")
    assert not seen["layers_added"]
    assert plugin.task is None and plugin.dock.run_button.isEnabled()
    assert plugin.dock.stage.text() == "Cancelled; nothing was added"


def test_cancel_during_the_first_onnx_export_kills_it_and_the_next_run_exports_anew(
        plugin, rgbn_layer, tiny_model, tmp_path, spin):
    model = _cold_copy(tiny_model, tmp_path / "cold")
    seen = _cancel_at(plugin, rgbn_layer, model, "exporting", spin, delay=1.0)
    _assert_reported_cancelled(plugin, seen, "exporting")
    assert not _children_using(model), "the export child outlived the cancel"
    left = sorted(p.name for p in (model / "onnx").iterdir()) if (model / "onnx").exists() else []
    assert not [name for name in left if name.startswith("tmp") or name.endswith(".onnx")], left
    task, again = _start(plugin, rgbn_layer, model)
    assert spin(lambda: "done_at" in again, 600), "the run after the cancel never ended"
    assert again["error"] is None and not again["cancelled"], again
    assert "exporting" in again["stages"] and (model / "onnx" / "vision_encoder.onnx").is_file()
    assert plugin.last_result_layer is not None


@pytest.mark.parametrize("stage", ["loading model", "encoding", "reasoning", "vectorising"])
def test_cancel_is_honoured_within_2_s_at_every_stage(plugin, rgbn_layer, exported_model, spin, stage):
    delay = 0.0 if stage == "vectorising" else 0.2  # the tiny model vectorises in a fraction of a second
    seen = _cancel_at(plugin, rgbn_layer, exported_model, stage, spin, delay)
    _assert_reported_cancelled(plugin, seen, stage)


def test_a_run_after_a_cancel_mid_encoding_waits_for_the_abandoned_one_and_succeeds(
        plugin, rgbn_layer, exported_model, spin):
    seen = _cancel_at(plugin, rgbn_layer, exported_model, "encoding", spin, 0.1)
    _assert_reported_cancelled(plugin, seen, "encoding")
    task, again = _start(plugin, rgbn_layer, exported_model)
    assert spin(lambda: "done_at" in again, 600)
    assert again["error"] is None and not again["cancelled"] and again["status"] == QgsTask.TaskStatus.Complete
    assert plugin.last_result_layer is not None and plugin.last_result_layer.featureCount() > 0


def _probe(model: Path, action: str = "run") -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": os.pathsep.join([*sys.path])}
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("run_task_probe.py")), str(REPO),
                           str(REPO / "tests" / "data" / "rgbn.tif"), str(model), action],
                          capture_output=True, text=True, timeout=900, check=False, env=env)
    line = next((line for line in done.stdout.splitlines() if line.startswith("PROBE ")), None)
    assert done.returncode == 0 and line, done.stderr[-3000:]
    return json.loads(line[len("PROBE "):])


def test_cold_first_run_never_stalls_the_gui_thread(tiny_model, tmp_path):
    """First run in a fresh QGIS: heavy imports, the ONNX export, the model load, the question, the layer."""
    report = _probe(_cold_copy(tiny_model, tmp_path / "cold"))
    assert report["heavy_before"] == [], "torch/onnxruntime were imported before the run: not a cold run"
    assert report["error"] is None and report["complete"] and report["layers_added"] == 1, report
    stages = [stage for _, stage in report["stages"]]
    assert "exporting" in stages and "vectorising" in stages, stages
    worst = sorted(report["gaps"], key=lambda gap: -(gap[1] - gap[3]))[:5]
    print(f"cold first run: {report['seconds']} s, longest gap {report['max_gap_ms']} ms, longest blocked "
          f"{report['max_blocked_ms']} ms; gaps (start s, ms, stage, ms waiting for a CPU): {worst}")
    # The GUI thread's time on the run queue is taken out: on a 2-core machine shared with other jobs, it waits for
    # a CPU whatever the plugin does. What remains is time it was blocked: by the GIL, or by work done on it.
    assert report["max_blocked_ms"] <= STALL_LIMIT_MS, f"GUI thread stalls (s, ms, stage, ms on CPU queue): {worst}"
