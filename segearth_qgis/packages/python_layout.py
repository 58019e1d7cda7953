"""Which interpreter runs QGIS's Python and where plugin-installed packages live, on Linux, Windows and macOS.

Inside QGIS sys.executable is often the QGIS binary (qgis-bin.exe on Windows, QGIS.app/Contents/MacOS/QGIS on macOS),
so pip must be run with the interpreter that shares QGIS's Python: found here from the layout of each installer.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from pathlib import Path

PLATFORM_NAMES = {"win32": "windows", "darwin": "macos", "linux": "linux"}
MACHINE_NAMES = {"amd64": "x86_64", "x86_64": "x86_64", "x64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class PythonLayout:
    """The facts about QGIS's Python that decide the interpreter, the private folder and the wheels."""

    platform: str  # sys.platform: linux, win32, darwin
    machine: str  # platform.machine(): x86_64, AMD64, arm64, aarch64
    version: tuple[int, int]
    executable: Path  # sys.executable: the QGIS binary on Windows and macOS
    exec_prefix: Path  # sys.exec_prefix

    @classmethod
    def current(cls) -> PythonLayout:
        return cls(sys.platform, platform.machine(), sys.version_info[:2], Path(sys.executable), Path(sys.exec_prefix))

    @property
    def os_name(self) -> str:
        return PLATFORM_NAMES.get(self.platform, self.platform)

    @property
    def arch(self) -> str:
        return MACHINE_NAMES.get(self.machine.lower(), self.machine.lower())

    @property
    def key(self) -> str:
        """Folder name for packages built for this Python: an upgrade of QGIS's Python gets a fresh folder."""
        return f"py{self.version[0]}{self.version[1]}-{self.os_name}-{self.arch}"


def interpreter_candidates(layout: PythonLayout) -> list[Path]:
    """Where each QGIS installer puts the Python it runs, most specific first."""
    major, minor = layout.version
    dotted = f"python{major}.{minor}"
    exe, prefix = layout.executable, layout.exec_prefix
    if layout.platform == "win32":
        # OSGeo4W and the standalone installer: <root>\bin\qgis-bin.exe, <root>\apps\Python3XX\python.exe
        root = exe.parent.parent
        return [prefix / "python.exe", prefix / "python3.exe", root / "apps" / f"Python{major}{minor}" / "python.exe",
                exe.parent / "python.exe", exe.parent / "python3.exe"]
    candidates = []
    if exe.name.lower().startswith("python") and "shims" not in exe.parts:
        candidates.append(exe)
    if layout.platform == "darwin":
        # the official QGIS.app: Contents/MacOS/QGIS and Contents/MacOS/bin/python3
        candidates += [exe.parent / "bin" / dotted, exe.parent / "bin" / "python3"]
        candidates += [prefix / "bin" / dotted, prefix / "bin" / "python3"]
        candidates += [exe.parent.parent / "Frameworks" / "Python.framework" / "Versions" / f"{major}.{minor}" / "bin"
                       / dotted]
        return candidates
    return candidates + [prefix / "bin" / dotted, prefix / "bin" / "python3"]


def find_interpreter(layout: PythonLayout | None = None) -> Path | None:
    """The first existing interpreter of QGIS's Python, or None (the caller explains)."""
    layout = layout or PythonLayout.current()
    return next((path for path in interpreter_candidates(layout) if path.is_file()), None)


def private_folder(settings_dir: Path, layout: PythonLayout | None = None) -> Path:
    """<QGIS profile>/python/segearth_deps/<py311-linux-x86_64>: per profile, per Python ABI."""
    layout = layout or PythonLayout.current()
    return Path(settings_dir) / "python" / "segearth_deps" / layout.key
