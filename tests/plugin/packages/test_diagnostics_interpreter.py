"""The diagnostics report names the Python QGIS really runs, not sys.executable: inside QGIS that is a shell shim
(pyenv, conda) found on PATH, or the QGIS binary itself."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _shim(tmp_path: Path) -> Path:
    """A pyenv-style shim: a shell script named python3 that would start some other Python."""
    shim = tmp_path / "shims" / "python3"
    shim.parent.mkdir()
    shim.write_text('#!/usr/bin/env bash\nexec "$(pyenv which python3)" "$@"\n')
    shim.chmod(0o755)
    return shim


def _qgis_binary(tmp_path: Path) -> Path:
    """A binary that is not Python, as sys.executable is on Windows/macOS QGIS (qgis-bin.exe, QGIS.app/.../QGIS)."""
    binary = tmp_path / "bin" / "qgis"
    binary.parent.mkdir()
    shutil.copy(shutil.which("true") or "/bin/true", binary)
    return binary


def _python_line(report: str) -> str:
    return next(line for line in report.splitlines() if line.startswith("Python: "))


@pytest.mark.parametrize("fake", [_shim, _qgis_binary])
def test_report_names_the_real_interpreter(qgis_app, monkeypatch, tmp_path, fake):
    from segearth_qgis.packages.diagnostics import build_report
    from segearth_qgis.packages.interpreter import python_executable

    wrong = str(fake(tmp_path))
    monkeypatch.setattr(sys, "executable", wrong)
    line = _python_line(build_report())
    exe = python_executable()
    assert exe != wrong and line.startswith(f"Python: CPython {platform.python_version()} ({exe}")
    assert f"sys.executable {wrong} is not this interpreter" in line
    # the named interpreter really is this Python: same version and the same prefix (virtual environment included)
    probe = "import platform, sys; print(platform.python_version(), sys.prefix)"
    out = subprocess.run([exe, "-c", probe], capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert out == [platform.python_version(), sys.prefix]


def test_report_without_a_wrong_sys_executable_says_nothing_more(qgis_app):
    from segearth_qgis.packages.diagnostics import build_report

    line = _python_line(build_report())
    assert "is not this interpreter" not in line and sys.prefix in line
