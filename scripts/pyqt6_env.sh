#!/usr/bin/env bash
# A small venv with PyQt6 and qtpy from PyPI (no QGIS, no system site-packages) in which the plugin's Qt-only widgets
# are built and driven under Qt6 (tests/plugin/test_pyqt6_widgets.py). Idempotent; prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${SEGEARTH_PYQT6_VENV:-artifacts/pyqt6-venv}
REQS="PyQt6==6.10.2 PyQt6-Qt6==6.10.2 qtpy==2.4.3 pytest packaging"
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv "$VENV"
fi
stamp="$VENV/.segearth-requirements"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$REQS" ]; then
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check $REQS >&2
  echo "$REQS" > "$stamp"
fi
echo "$VENV/bin/python"
