"""Persistent plugin settings (QgsSettings under "SegEarth/"), so the model folder survives restarts."""

from __future__ import annotations

from typing import Any

PREFIX = "SegEarth/"
DEFAULTS: dict[str, Any] = {
    "model_dir": "",
    "repo_id": "earth-insights/SegEarth-R1-EarthReason",
    "revision": "d0ca5c4",
    "task": "reasoning",
    "mode": "view",
    "resolution": 0.0,
    "cache_mb": 512,
    "low_memory": False,
    "warm_view": True,  # encode the view while the question is typed (uses the CPU meanwhile)
    "export_folders": [],  # folders of exports in flight (results/export_task.py): a kill leaves stages there
    "models_folder": "",  # where Download puts models ("" : segearth_models in the QGIS profile)
    "hub_endpoint": "",  # the model hub's address, e.g. a mirror ("" : HF_ENDPOINT, else huggingface.co)
}


def get(key: str) -> Any:
    from qgis.core import QgsSettings

    default = DEFAULTS.get(key)
    kind = type(default) if default is not None else str
    return QgsSettings().value(PREFIX + key, default, type=kind)


def put(key: str, value: Any) -> None:
    from qgis.core import QgsSettings

    QgsSettings().setValue(PREFIX + key, value)
