"""A new user's first run in the real QGIS desktop under Xvfb, against the local hub: the guide, Download, progress,
Cancel, resume, the verified model, the first load's own stage, and a first answer (scripts/qgis_download_startup.py
presses the buttons and takes a screenshot at each step)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.local_hub import LocalHub

REPO = Path(__file__).resolve().parents[2]
RELEASED = "earth-insights/SegEarth-R1-EarthReason"


@pytest.mark.desktop
@pytest.mark.skipif(not (shutil.which("qgis") and shutil.which("xvfb-run")), reason="needs qgis and xvfb-run")
def test_desktop_first_run_download(engine_available, release_dir, tmp_path):
    artifacts = Path(os.environ.get("SEGEARTH_ARTIFACTS", REPO / "artifacts")) / "desktop_download"
    report = artifacts / "report.json"
    with LocalHub() as hub:
        hub.add_repo(RELEASED, release_dir, commit="d0ca5c4" + "1" * 33)
        env = dict(os.environ, SEGEARTH_ARTIFACTS=str(artifacts), SEGEARTH_SMOKE_REPORT=str(report),
                   SEGEARTH_SMOKE_TIMEOUT="540", SEGEARTH_HUB_URL=hub.url, SEGEARTH_MODELS_DIR=str(tmp_path / "models"),
                   SEGEARTH_SMOKE_SCRIPT=str(REPO / "scripts" / "qgis_download_startup.py"),
                   SEGEARTH_TINY_MODEL=str(release_dir))  # unused by this script: spares desktop_smoke.sh making one
        env.pop("QT_QPA_PLATFORM", None)
        done = subprocess.run(["bash", str(REPO / "scripts" / "desktop_smoke.sh"), str(REPO / "tests" / "data" /
                                                                                      "rgbn.tif")],
                              capture_output=True, text=True, env=env, timeout=660, check=False)
        ranges = hub.ranges_asked("/cdn/")
    assert report.is_file(), f"no report (rc {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    data = json.loads(report.read_text())
    assert data["ok"], data.get("error")
    steps = data["steps"]
    first = steps["01_first_run"]
    assert first["guide_state"] == "needs_model" and first["download_button"] == "Download (3.2 GB)"
    assert not first["run_enabled"] and "download it or choose its folder" in first["run_tooltip"]
    progress = steps["02_progress"]
    assert progress["panel_progress"].startswith("Downloading model.safetensors: ") and "/s · " in progress[
        "panel_progress"] and progress["task_manager_progress"] >= 35
    assert data["cancel_latency_s"] < 2.0
    cancelled = steps["03_cancelled"]
    assert cancelled["guide_title"] == "Download cancelled" and cancelled["download_button"] == "Resume download"
    assert len(ranges) >= 2 and ranges[0] == "" and ranges[1].startswith("bytes=")  # resumed, not started over
    verified = steps["05_verified"]
    assert verified["model_dir"] == str(tmp_path / "models" / "earth-insights--SegEarth-R1-EarthReason")  # chosen
    assert verified["guide_title"] == "Model downloaded and verified" and "checked (sha256)" in verified["guide_text"]
    assert steps["06_export_stage"]["panel_progress"].startswith("Preparing the model (once): ")
    ready = steps["07_ready"]
    assert ready["guide_state"] == "ready" and ready["run_enabled"] and "CPU" in ready["device"]
    assert "TEST model with random weights" in ready["guide_text"]
    answer = steps["08_first_answer"]
    assert answer["result_layer"] == "where could a small plane land?" and answer["feature_count"] >= 0
    for name in steps:
        assert (artifacts / f"{name}.png").stat().st_size > 10_000
