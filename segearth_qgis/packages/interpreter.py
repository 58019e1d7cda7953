"""The Python interpreter QGIS really runs, for the diagnostics report and for child processes.

Inside QGIS, sys.executable is not to be trusted: it is the QGIS binary on Windows and macOS, and on Linux it is
whatever "python3" came first on PATH when QGIS started, often a pyenv or conda shim for another Python. The
interpreter is found from the prefix the running Python was really loaded from instead.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path


def _is_interpreter(path: Path) -> bool:
    """An executable Python binary, not a shell script (shims, wrappers) and not the QGIS binary."""
    try:
        if not path.name.lower().startswith("python") or not path.is_file() or not os.access(path, os.X_OK):
            return False
        with open(path, "rb") as handle:
            return handle.read(2) != b"#!"
    except OSError:
        return False


def _candidates() -> list[Path]:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    names = (f"bin/python{version}", "bin/python3", "python.exe", f"python{version}.exe", "python3.exe")
    stdlib_prefix = Path(os.__file__).resolve().parents[2 if os.name != "nt" else 1]
    prefixes = dict.fromkeys(Path(p) for p in (sys.exec_prefix, sys.prefix, sys.base_exec_prefix, stdlib_prefix))
    found = [prefix / name for prefix in prefixes for name in names]
    return found + [Path(p) for p in (getattr(sys, "_base_executable", ""), sys.executable) if p]


def python_executable() -> str:
    """The interpreter matching the running Python (its virtual environment included), usable for a child process;
    sys.executable when nothing better is found."""
    return next((str(path) for path in _candidates() if _is_interpreter(path)), sys.executable)


def describe_interpreter() -> str:
    """One line: implementation, version, the real interpreter and prefix, and sys.executable when it differs."""
    exe = python_executable()
    line = f"{platform.python_implementation()} {platform.python_version()} ({exe}"
    real = os.path.realpath(exe)
    if real != exe:
        line += f" -> {real}"
    line += f"; prefix {sys.prefix})"
    if sys.executable and os.path.realpath(sys.executable) != real:
        line += f"; sys.executable {sys.executable} is not this interpreter"
    return line
