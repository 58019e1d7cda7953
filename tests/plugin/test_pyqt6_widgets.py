"""The plugin's Qt-only widgets under PyQt6 (Qt 6) from PyPI, in their own small venv (scripts/pyqt6_env.sh): the
checks in qt6/pyqt6_widgets_check.py build and drive the install dialog, the set-up dock and the question box there,
with `qgis.PyQt` resolved to plain PyQt6. QGIS 4 itself is not run (Debian does not package it)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHECKS = Path(__file__).resolve().parent / "qt6" / "pyqt6_widgets_check.py"


def test_qt_only_widgets_build_and_work_under_pyqt6(tmp_path):
    made = subprocess.run(["bash", str(REPO / "scripts" / "pyqt6_env.sh")], capture_output=True, text=True,
                          timeout=900, check=False, cwd=REPO)
    assert made.returncode == 0, made.stderr[-2000:]
    python = REPO / made.stdout.strip().splitlines()[-1]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("QT_", "PYTHON"))}
    env.update(PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen", QT_API="pyqt6",
               SEGEARTH_SHOT_DIR=os.environ.get("SEGEARTH_SHOT_DIR", str(tmp_path / "shots")))
    done = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                           "--confcutdir", str(CHECKS.parent),  # no QGIS there: the suite's conftests stay out
                           "--basetemp", str(tmp_path / "run"), str(CHECKS)],
                          capture_output=True, text=True, timeout=900, check=False, cwd=REPO, env=env)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "5 passed" in done.stdout, done.stdout[-2000:]
