"""The test session keeps QGIS's settings, profile and databases out of the repository."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _inside_repo(path: str) -> bool:
    resolved = Path(path).resolve()
    return resolved == REPO or REPO in resolved.parents


def test_qgis_settings_live_outside_the_repository(qgis_app):
    from qgis.core import QgsApplication, QgsSettings

    from segearth_qgis.common import settings
    assert not _inside_repo(QgsApplication.qgisSettingsDirPath()), QgsApplication.qgisSettingsDirPath()
    assert not _inside_repo(QgsSettings().fileName()), QgsSettings().fileName()
    settings.put("cache_mb", 256)  # the plugin's own settings go to the same sandbox
    assert settings.get("cache_mb") == 256
    assert not _inside_repo(QgsSettings().fileName())


def test_a_test_run_leaves_no_qgis_temp_folders(tmp_path):
    """QgsApplication makes a QGIS3-* folder in the temp folder per run and never removes it; the sandbox does."""
    import os
    import subprocess
    import sys

    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp), QT_QPA_PLATFORM="offscreen")
    test = "tests/plugin/test_sandbox.py::test_qgis_settings_live_outside_the_repository"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], cwd=REPO, env=env,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert not list(temp.glob("QGIS3-*")), sorted(p.name for p in temp.iterdir())
