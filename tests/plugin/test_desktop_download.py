"""A new user's first run in the real QGIS desktop under Xvfb, against the local hub through QGIS's proxy: the guide,
a 401, a wrong byte, Download with progress, Cancel, resume (through a 429 and a dropped connection), the verified
model, the first load's own stage, and a first answer (scripts/qgis_download_startup.py presses the buttons and takes
a screenshot at each step)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.local_hub import LocalHub, LocalProxy

REPO = Path(__file__).resolve().parents[2]
RELEASED = "earth-insights/SegEarth-R1-EarthReason"


@pytest.mark.desktop
@pytest.mark.skipif(not (shutil.which("qgis") and shutil.which("xvfb-run")), reason="needs qgis and xvfb-run")
def test_desktop_first_run_download(engine_available, release_dir, tmp_path):
    artifacts = Path(os.environ.get("SEGEARTH_ARTIFACTS", REPO / "artifacts")) / "desktop_download"
    report = artifacts / "report.json"
    with LocalHub() as hub, LocalProxy() as proxy:
        hub.add_repo(RELEASED, release_dir, commit="d0ca5c4" + "1" * 33)
        env = dict(os.environ, SEGEARTH_ARTIFACTS=str(artifacts), SEGEARTH_SMOKE_REPORT=str(report),
                   SEGEARTH_PROXY_PORT=str(proxy.port), SEGEARTH_PROXY_USER=proxy.user,
                   SEGEARTH_PROXY_PASSWORD=proxy.password,
                   SEGEARTH_SMOKE_TIMEOUT="540", SEGEARTH_HUB_URL=hub.url, SEGEARTH_MODELS_DIR=str(tmp_path / "models"),
                   SEGEARTH_SMOKE_SCRIPT=str(REPO / "scripts" / "qgis_download_startup.py"),
                   SEGEARTH_TINY_MODEL=str(release_dir))  # unused by this script: spares desktop_smoke.sh making one
        env.pop("QT_QPA_PLATFORM", None)
        done = subprocess.run(["bash", str(REPO / "scripts" / "desktop_smoke.sh"), str(REPO / "tests" / "data" /
                                                                                      "rgbn.tif")],
                              capture_output=True, text=True, env=env, timeout=660, check=False)
        ranges = hub.ranges_asked("/cdn/")
        proxy_hits, proxy_refused = list(proxy.hits), proxy.refused
    assert report.is_file(), f"no report (rc {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    data = json.loads(report.read_text())
    assert data["ok"], data.get("error")
    steps = data["steps"]
    first = steps["01_first_run"]
    assert first["guide_state"] == "needs_model" and first["download_button"] == "Download (3.2 GB)"
    assert not first["run_enabled"] and "download it or choose its folder" in first["run_tooltip"]
    refused = steps["02_refused_401"]
    assert refused["guide_title"] == "Download failed" and "(401)" in refused["guide_text"]
    wrong = steps["03_wrong_byte"]
    assert "model.safetensors: the downloaded bytes do not match" in wrong["guide_text"]
    assert "has been removed" in wrong["guide_text"] and "has been removed" in wrong["message_bar"]
    progress = steps["04_progress"]
    assert progress["panel_progress"].startswith("Downloading model.safetensors: ") and "/s · " in progress[
        "panel_progress"] and progress["task_manager_progress"] >= 35
    assert data["cancel_latency_s"] < 2.0
    cancelled = steps["05_cancelled"]
    assert cancelled["guide_title"] == "Download cancelled" and cancelled["download_button"] == "Resume download"
    assert steps["06_resumed_waiting"]["panel_progress"] == "Waiting: the hub asked to wait 2 s"
    # wrong byte: whole file; progress: from 0 (the bad file was removed); resume: from the cancel; after the drop
    assert len(ranges) == 4 and ranges[:2] == ["", ""] and ranges[2].startswith("bytes="), ranges
    assert ranges[3] == f"bytes={int(ranges[2][6:-1]) + 4_000_000}-"
    assert any("/cdn/" in target for _, target in proxy_hits) and proxy_refused == 0  # all through QGIS's proxy
    verified = steps["07_verified"]
    assert verified["model_dir"] == str(tmp_path / "models" / "earth-insights--SegEarth-R1-EarthReason")  # chosen
    assert verified["guide_title"] == "Model downloaded and verified" and "checked (sha256)" in verified["guide_text"]
    assert steps["08_export_stage"]["panel_progress"].startswith("Preparing the model (once): ")
    ready = steps["09_ready"]
    assert ready["guide_state"] == "ready" and ready["run_enabled"] and "CPU" in ready["device"]
    assert "TEST model with random weights" in ready["guide_text"]
    answer = steps["10_first_answer"]
    assert answer["result_layer"] == "where could a small plane land?" and answer["feature_count"] >= 0
    for name in steps:
        assert (artifacts / f"{name}.png").stat().st_size > 10_000
