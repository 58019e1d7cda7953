"""SegEarth QGIS plugin: ask a question about a raster layer, get polygons back.

`classFactory` must stay cheap and must not fail: it picks the Qt binding for qtpy, puts the private dependency
folder on sys.path, and returns a fallback plugin that explains itself when the UI layer cannot import.
"""

from __future__ import annotations

import os


def _select_qt_api() -> None:
    """Make qtpy use the binding QGIS itself runs on (PyQt5 for QGIS 3, PyQt6 for QGIS 4)."""
    try:
        from qgis.PyQt.QtCore import QT_VERSION_STR
    except ImportError:  # outside QGIS: let qtpy decide
        return
    os.environ.setdefault("QT_API", "pyqt6" if QT_VERSION_STR.startswith("6") else "pyqt5")


def classFactory(iface):  # noqa: N802 - name fixed by QGIS
    """Entry point QGIS calls with its QgisInterface."""
    _select_qt_api()
    from .dependencies import add_private_site_dir

    add_private_site_dir()
    try:
        from .plugin import SegEarthPlugin
    except ImportError as exc:  # qtpy (or another light dependency) missing: explain instead of crashing QGIS
        from .fallback import FallbackPlugin

        return FallbackPlugin(iface, exc)
    return SegEarthPlugin(iface)
