"""The test session keeps QGIS's settings, profile and databases out of the repository."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _inside_repo(path: str) -> bool:
    resolved = Path(path).resolve()
    return resolved == REPO or REPO in resolved.parents


def test_qgis_settings_live_outside_the_repository(qgis_app):
    from qgis.core import QgsApplication, QgsSettings

    from segearth_qgis import settings

    assert not _inside_repo(QgsApplication.qgisSettingsDirPath()), QgsApplication.qgisSettingsDirPath()
    assert not _inside_repo(QgsSettings().fileName()), QgsSettings().fileName()
    settings.put("cache_mb", 256)  # the plugin's own settings go to the same sandbox
    assert settings.get("cache_mb") == 256
    assert not _inside_repo(QgsSettings().fileName())
