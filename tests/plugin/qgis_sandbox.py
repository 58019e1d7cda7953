"""pytest plugin (`-p tests.plugin.qgis_sandbox`): QGIS settings and profile go to a temporary folder, not the repo.

pytest-qgis creates QgsApplication in its own `pytest_load_initial_conftests`, before any conftest is imported, and
points QGIS_CUSTOM_CONFIG_PATH and QSettings at `<rootdir>/.qgis-settings` (QGIS3.ini, qgis.db, qgis-auth.db, ...).
A conftest is too late to change that, so this plugin is loaded with `-p` and wraps that hook: pytest-qgis's own
settings loader then runs unchanged, but sees a temporary folder as its root directory. The folder is deleted when
pytest ends, and so are the empty `QGIS3-*` folders that QgsApplication leaves in the system temp folder (one per run,
never removed by QGIS itself). If a pytest-qgis upgrade renames the loader, the run stops with a message instead of
silently writing into the repository again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_FOLDER: Path | None = None
_QGIS_TEMP_BEFORE: set[Path] = set()


class _RootOverride:
    """The pytest config with another `rootpath`; everything else is delegated."""

    def __init__(self, config: pytest.Config, root: Path) -> None:
        self._config = config
        self.rootpath = root

    def __getattr__(self, name: str):
        return getattr(self._config, name)


def sandbox_folder() -> Path | None:
    """The temporary folder holding `.qgis-settings` for this pytest run (None when the plugin is inactive)."""
    return _FOLDER


def _redirect() -> None:
    global _FOLDER, _QGIS_TEMP_BEFORE
    try:
        from pytest_qgis import plugin as pytest_qgis_plugin
    except ImportError:  # no pytest-qgis: nothing writes QGIS settings
        return
    original = getattr(pytest_qgis_plugin, "_load_qgis_settings", None)
    if original is None:
        raise pytest.UsageError("tests/plugin/qgis_sandbox.py: pytest-qgis has no _load_qgis_settings any more; "
                                "update the sandbox so QGIS settings do not land in the repository")
    if getattr(original, "segearth_sandbox", False):
        return
    _FOLDER = Path(tempfile.mkdtemp(prefix="segearth-pytest-qgis-"))
    _QGIS_TEMP_BEFORE = set(Path(tempfile.gettempdir()).glob("QGIS3-*"))

    def load_into_sandbox(config: pytest.Config) -> None:
        original(_RootOverride(config, _FOLDER))

    load_into_sandbox.segearth_sandbox = True  # type: ignore[attr-defined]
    pytest_qgis_plugin._load_qgis_settings = load_into_sandbox
    os.environ.setdefault("GDAL_PAM_ENABLED", "NO")  # no .aux.xml statistics files next to tests/data rasters


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    _redirect()
    return (yield)


def pytest_unconfigure(config) -> None:
    if _FOLDER is None:
        return
    shutil.rmtree(_FOLDER, ignore_errors=True)
    for leftover in set(Path(tempfile.gettempdir()).glob("QGIS3-*")) - _QGIS_TEMP_BEFORE:
        try:
            leftover.rmdir()  # empty ones only: a folder with files may belong to a QGIS still running
        except OSError:
            pass
