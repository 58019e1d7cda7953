"""The real QGIS desktop under Xvfb, driven as a hostile but realistic user (scripts/qgis_faults_startup.py): File > New
during a tiled question, Export… and Score after the result layer was removed, an export onto a full disk (a real
small tmpfs) in the task manager, the dock's X. No "Python error" may be logged or shown, in any of them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.desktop
@pytest.mark.skipif(not (shutil.which("qgis") and shutil.which("xvfb-run")), reason="needs qgis and xvfb-run")
def test_desktop_under_faults(engine_available, tiny_model, small_disk, tmp_path):
    artifacts = Path(os.environ.get("SEGEARTH_ARTIFACTS", REPO / "artifacts"))
    report = artifacts / "desktop_faults.json"
    env = dict(os.environ, SEGEARTH_TINY_MODEL=str(tiny_model), SEGEARTH_ARTIFACTS=str(artifacts),
               SEGEARTH_SMOKE_REPORT=str(report), SEGEARTH_SMOKE_TIMEOUT="480", SEGEARTH_FAULTS_DISK=str(small_disk),
               SEGEARTH_SMOKE_SCRIPT=str(REPO / "scripts" / "qgis_faults_startup.py"))
    env.pop("QT_QPA_PLATFORM", None)
    synthetic = tmp_path / "scene.tif"
    shutil.copy(REPO / "tests" / "data" / "rgbn.tif", synthetic)
    done = subprocess.run(["bash", str(REPO / "scripts" / "desktop_smoke.sh"), str(synthetic)], capture_output=True,
                          text=True, env=env, timeout=600, check=False)
    assert report.is_file(), f"no report (rc {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["ok"], data.get("error")
    assert data["python_errors"] == [] and data["dialogs"] == [], (data["python_errors"], data["dialogs"])
    scenarios = data["scenarios"]

    new = scenarios["file_new_during_run"]
    assert new["started"] and new["layers"] == [] and not new["group"] and not new["dirty"], new
    assert new["stage"] == ("Cancelled: the project was closed (a new or another project was opened); nothing was "
                            "added")

    removed = scenarios["removed_layer_export_score"]
    assert removed["message"] == "Select a SegEarth result layer to export"
    assert removed["score"] == "Select a SegEarth result layer to score"
    assert scenarios["language_note"]["note"] == ("The model was trained on English questions: this answer to a "
                                                  "question in another language may be unreliable.")

    export = scenarios["export_full_disk"]
    assert export["background_task"] and export["in_task_manager"] and export["old_size"] > 0, export
    assert export["message"].startswith("The disk is full (") and "free on that disk" in export["message"]
    assert export["message"].endswith("answer.gpkg was not written. The existing file is unchanged.")
    assert export["old_kept"] and export["stages"] == []

    dock = scenarios["dock_x"]
    assert dock["hidden"] and not dock["button_checked_after_x"] and dock["visible_after_one_click"], dock
    for name in ("file_new", "removed_layer", "export_full_disk", "dock_x", "language_note"):
        assert (artifacts / f"faults_{name}.png").stat().st_size > 10_000
