"""Getting the Python packages the plugin needs: what is missing and where it comes from (dependencies), the set-up
panel shown when the UI cannot import (fallback), the installer and its dialog, the pip plan, the torch build, the
private package folder, the interpreter and its layout, Windows' path limit, wheel availability, QGIS's proxy, the
engine's heavy imports off the GUI thread, and the diagnostics report. Built on qgis.PyQt where qtpy may be missing.

May import: common.
"""
