"""The real QGIS desktop under Xvfb loads the plugin, runs a question with the tiny model and reports back."""

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
def test_desktop_smoke(engine_available, tiny_model):
    artifacts = Path(os.environ.get("SEGEARTH_ARTIFACTS", REPO / "artifacts"))
    report = artifacts / "desktop_smoke.json"  # kept with the screenshot as a test artefact
    limit = int(os.environ.get("SEGEARTH_SMOKE_TIMEOUT", "480"))  # make test-matrix gives a loaded machine more
    env = dict(os.environ, SEGEARTH_TINY_MODEL=str(tiny_model), SEGEARTH_ARTIFACTS=str(artifacts),
               SEGEARTH_SMOKE_REPORT=str(report), SEGEARTH_SMOKE_TIMEOUT=str(limit))
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run(["bash", str(REPO / "scripts" / "desktop_smoke.sh"), str(REPO / "tests" / "data" /
                                                                                  "rgbn.tif")],
                          capture_output=True, text=True, env=env, timeout=limit + 120, check=False)
    assert report.is_file(), f"no report (rc {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    data = json.loads(report.read_text())
    assert data["ok"], data.get("error")
    assert data["plugin_loaded"] and data["dock_visible"]
    assert data["result_layer"] == "where could a small plane land?"
    assert data["in_project"] and data["in_group"]
    assert isinstance(data["feature_count"], int) and data["feature_count"] >= 0
    assert data["result_crs"] == data["raster_crs"] == "EPSG:32618"
    assert data["fields"][:5] == ["question", "model", "mode", "area_m2", "mean_prob"]
    versions = data["versions"]
    assert versions["rasterio_gdal"] == versions["osgeo_gdal"]
    assert not versions["segearth_engine"].startswith("error")
    assert data["device"] and "not loaded" not in data["device"]
    probe = data["geo_probe"]  # the desktop's own GDAL/GEOS/PROJ, used by Debian's rasterio/shapely/pyproj
    assert "error" not in probe, probe.get("error")
    assert probe["shapely_wkb_roundtrip"] and probe["rasterio_shapes_area"] == 64.0
    assert probe["pyproj_lon_lat"] == [-75.0, 0.0]
    assert all(len(probe["libraries"][lib]) == 1 for lib in ("libgdal", "libgeos_c", "libproj")), probe["libraries"]
    assert Path(data["screenshot"]).is_file() and Path(data["screenshot"]).stat().st_size > 10_000
    assert done.returncode == 0
