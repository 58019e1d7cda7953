"""`qgis.PyQt` resolved to plain PyQt6 from PyPI, as QGIS 4 resolves it to its PyQt6 (no compatibility aliases added:
what the plugin imports must exist in PyQt6 itself)."""
