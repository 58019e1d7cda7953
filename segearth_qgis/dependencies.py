"""What the plugin needs beyond QGIS, how to tell the user, and a one-click installer that cannot break QGIS.

Everything heavy (torch, transformers, onnxruntime, the model code) is only probed here, never imported, so the
plugin loads without it. Installs go to a private folder keyed to QGIS's Python (version, platform, machine), with a
constraints file pinning the numpy/geo stack QGIS already runs on (numpy<2 whatever happens).
"""

from __future__ import annotations

import importlib
import importlib.util
import platform
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

#: import name -> pip requirement. The engine brings torch/transformers through its extra.
REQUIRED = {
    "segearth_engine": "segearth-engine[torch]",
    "numpy": "numpy<2",
    "onnxruntime": "onnxruntime",
    "torch": "torch",
    "transformers": "transformers",
    "shapely": "shapely",
    "affine": "affine",
}
#: the engine's front, the only engine module the plugin calls (cheap to import; it names the modules a run needs)
ENGINE_FRONT = "segearth_engine.api"
#: packages QGIS's own Python already ships: pinned to their current versions, never upgraded by us
GEO_STACK = ("numpy", "shapely", "pyproj", "rasterio", "GDAL", "pandas", "scipy", "matplotlib", "Pillow")


class EngineUnavailable(ImportError):
    """The engine or one of its heavy dependencies does not import; the message says what to install."""


@dataclass(frozen=True)
class DependencyStatus:
    missing: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.missing


def private_site_dir() -> Path:
    """Folder for plugin-installed packages, keyed to the running Python so that QGIS upgrades never mix ABIs."""
    try:
        from qgis.core import QgsApplication

        base = Path(QgsApplication.qgisSettingsDirPath())
    except ImportError:
        base = Path.home() / ".segearth"
    key = f"py{sys.version_info.major}{sys.version_info.minor}-{sys.platform}-{platform.machine().lower()}"
    return base / "python" / "segearth_deps" / key


def add_private_site_dir() -> None:
    """Append the private folder to sys.path (after QGIS's own paths, so QGIS's numpy and GDAL keep priority)."""
    folder = str(private_site_dir())
    if Path(folder).is_dir() and folder not in sys.path:
        sys.path.append(folder)


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


def requirement_for(name: str) -> str:
    return REQUIRED.get(name.split(".")[0], REQUIRED["segearth_engine"] if name.startswith("segearth") else name)


def install_hint(missing: list[str] | tuple[str, ...]) -> str:
    """The pip command a user can paste, for QGIS's own Python."""
    reqs = sorted({requirement_for(name) for name in missing if name})
    return f"{python_for_pip()} -m pip install " + " ".join(f'"{r}"' if "[" in r or "<" in r else r for r in reqs)


def load_engine():
    """Import the engine's front and the modules a run needs behind it, and return the front (segearth_engine.api);
    EngineUnavailable says what to install."""
    for name in engine_modules():
        try:
            importlib.import_module(name)
        except ImportError as exc:
            missing = getattr(exc, "name", None) or name
            raise EngineUnavailable(f"{name} cannot be imported ({exc}). Install the engine with: "
                                    f"{install_hint([missing if missing in REQUIRED else name])}") from exc
    return importlib.import_module(ENGINE_FRONT)


def python_for_pip() -> str:
    """An interpreter matching QGIS's Python. sys.executable is the QGIS binary on Windows and may be a pyenv shim
    for another Python on Linux, so the interpreter next to QGIS's own prefix comes first."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    prefix = Path(sys.exec_prefix)
    for candidate in (prefix / "bin" / f"python{version}", prefix / "python.exe", prefix / "python3.exe",
                      prefix / "bin" / "python3"):
        if candidate.is_file():
            return str(candidate)
    exe = Path(sys.executable)
    if exe.name.lower().startswith("python") and exe.is_file() and "shims" not in exe.parts:
        return str(exe)
    return shutil.which(f"python{version}") or f"python{version}"


def installed_versions(names=GEO_STACK) -> dict[str, str]:
    from importlib import metadata

    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def write_constraints(path: Path) -> Path:
    """Pin the geo stack to what this QGIS runs; numpy stays below 2 (QGIS's compiled modules need 1.x)."""
    lines = [f"{name}=={version}" for name, version in sorted(installed_versions().items())]
    if not any(line.lower().startswith("numpy==") for line in lines):
        lines.append("numpy<2")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def install_command(missing: list[str] | tuple[str, ...], target: Path | None = None) -> list[str]:
    """pip argv installing `missing` into the private folder, wheels preferred, geo stack untouched."""
    target = target or private_site_dir()
    constraints = write_constraints(target.parent / f"{target.name}-constraints.txt")
    reqs = sorted({requirement_for(name) for name in missing})
    return [python_for_pip(), "-m", "pip", "install", "--disable-pip-version-check", "--prefer-binary",
            "--upgrade-strategy", "only-if-needed", "--target", str(target), "--constraint", str(constraints), *reqs]
