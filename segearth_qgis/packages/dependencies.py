"""What the plugin needs beyond QGIS, and how to tell the user where it comes from.

Everything heavy (torch, transformers, onnxruntime, the model code) is only probed here, never imported, so the
plugin loads without it. pip-installable packages come from the dock's "Install dependencies…" button (a private
folder keyed to QGIS's Python, see installer.py); the geo stack linked to QGIS's GDAL/GEOS/PROJ comes from the OS or
the QGIS installer, never from pip. No hint ever names a `pip install` into a system Python.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from .pip_plan import PIP_REQUIREMENTS
from .python_layout import PythonLayout, private_folder

#: import name -> OS package (Debian name): these link QGIS's own GDAL/GEOS/PROJ or its numpy, so pip must not bring
#: them (PyPI wheels carry their own copies, which break inside the QGIS desktop)
OS_PACKAGES = {"numpy": "python3-numpy", "rasterio": "python3-rasterio", "shapely": "python3-shapely"}
#: everything a run needs; the engine itself ships inside the plugin (segearth_qgis/_vendor)
REQUIRED = (*OS_PACKAGES, "segearth_engine", "torch", "onnxruntime", *PIP_REQUIREMENTS)
#: the engine's front, the only engine module the plugin calls (cheap to import; it names the modules a run needs)
ENGINE_FRONT = "segearth_engine.api"
BUTTON = "Install dependencies…"


class EngineUnavailable(ImportError):
    """The engine or one of its heavy dependencies does not import; the message says how to get it."""


@dataclass(frozen=True)
class DependencyStatus:
    missing: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.missing

    @property
    def from_os(self) -> tuple[str, ...]:
        return tuple(name for name in self.missing if name in OS_PACKAGES)

    @property
    def from_pip(self) -> tuple[str, ...]:
        return tuple(name for name in self.missing if name not in OS_PACKAGES)


def settings_dir() -> Path:
    try:
        from qgis.core import QgsApplication

        return Path(QgsApplication.qgisSettingsDirPath())
    except ImportError:
        return Path.home() / ".segearth"


def private_site_dir() -> Path:
    """Folder for plugin-installed packages: <profile>/python/segearth_deps/py311-linux-x86_64, or the shorter one
    the installer chose for Windows' path limit (windows_paths)."""
    from .windows_paths import located

    return located(private_folder(settings_dir()))


def add_private_site_dir() -> str:
    """Put the private folder first on sys.path (unless it would shadow QGIS's own stack); returns what was done."""
    from .private_site import activate

    return activate(private_site_dir())


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules (blocked import)
        return False


def engine_modules() -> tuple[str, ...]:
    """The front and the modules a run imports behind it (segearth_engine.api.RUN_MODULES); the front alone when it
    does not import."""
    try:
        from segearth_engine.api import RUN_MODULES
    except ImportError:
        return (ENGINE_FRONT,)
    return (ENGINE_FRONT, *RUN_MODULES)


def check_dependencies() -> DependencyStatus:
    """Cheap probe (no import of heavy modules) of everything a run needs."""
    missing = [name for name in REQUIRED if not _importable(name)]
    if "segearth_engine" not in missing:
        missing += [name for name in engine_modules() if not _importable(name)]
    return DependencyStatus(tuple(missing))


def show_missing(panel) -> tuple[str, ...]:
    """Probe again and show the outcome in the dock's model panel (Install… when something is missing); the names."""
    missing = check_dependencies().missing
    panel.set_missing(missing)
    if not missing:
        panel.refresh()
    return missing


def is_debian_like() -> bool:
    return Path("/etc/debian_version").is_file()


def os_package_hint(names: list[str] | tuple[str, ...], layout: PythonLayout | None = None) -> str:
    """Where the OS-level packages come from on this system."""
    layout = layout or PythonLayout.current()
    names = [name for name in names if name in OS_PACKAGES]
    if not names:
        return ""
    if layout.os_name == "linux" and is_debian_like():
        return "sudo apt install " + " ".join(OS_PACKAGES[name] for name in names)
    if layout.os_name == "windows":
        return ("run the OSGeo4W Setup (Advanced install) and add " + ", ".join(OS_PACKAGES[name] for name in names)
                + ", then restart QGIS")
    if layout.os_name == "macos":
        return "use the official QGIS app from qgis.org, which includes " + ", ".join(names)
    return "install " + ", ".join(names) + " with your system's package manager (the ones built for QGIS's GDAL)"


def install_hint(missing: list[str] | tuple[str, ...], layout: PythonLayout | None = None) -> str:
    """One sentence: the dock's button for pip-installable packages, the OS package for the geo stack."""
    status = DependencyStatus(tuple(name.split(".")[0] if name.startswith("segearth") else name for name in missing))
    parts = []
    if status.from_pip:
        parts.append(f"click “{BUTTON}” in the SegEarth panel")
        if "qtpy" in status.from_pip and len(status.from_pip) == 1 and (layout or PythonLayout.current()).os_name \
                == "linux" and is_debian_like():
            parts[-1] += " (or: sudo apt install python3-qtpy)"
    if status.from_os:
        parts.append(os_package_hint(status.from_os, layout))
    return "; ".join(parts)


def load_engine():
    """Import the engine's front and the modules a run needs behind it, and return the front (segearth_engine.api);
    EngineUnavailable says how to get what is missing."""
    for name in engine_modules():
        try:
            importlib.import_module(name)
        except ImportError as exc:
            missing = getattr(exc, "name", None) or name
            raise EngineUnavailable(f"{name} cannot be imported ({exc}). To install it, "
                                    f"{install_hint([missing.split('.')[0] if missing else name])}") from exc
    return importlib.import_module(ENGINE_FRONT)
