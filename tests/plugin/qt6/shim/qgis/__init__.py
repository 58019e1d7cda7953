"""Stand-in for QGIS's `qgis` package in the PyQt6 test venv: only `qgis.PyQt`, nothing of QGIS itself."""
