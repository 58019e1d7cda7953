"""Windows' 260-character path limit and the private folder: a shorter folder when torch's deepest file would not fit.

QGIS profiles live under %APPDATA%, so the usual folder is
C:\\Users\\<user>\\AppData\\Roaming\\QGIS\\QGIS3\\profiles\\default\\python\\segearth_deps\\py312-windows-x86_64, and
torch's deepest file (a licence 167 characters down inside the wheel) lands at about 270 characters for a user named
firstname.lastname. Without long paths enabled (registry LongPathsEnabled) pip fails there mid-install, after the
download. So the folder is chosen before: the usual one when every file fits, else the first shorter one that does,
and the plugin finds it again through a small pointer file left where the usual folder would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath, PureWindowsPath

#: Windows' MAX_PATH counts the terminating NUL: a path has at most 259 characters
MAX_PATH = 260
#: the deepest file of PyPI's torch 2.13.0 win_amd64 wheel, relative to the install folder (its file list is in
#: tests/fixtures/torch-2.13.0-cp312-win_amd64-long-paths.txt; a test keeps this number equal to that list's longest)
DEEPEST_WHEEL_FILE = 167
#: pip --target installs into %TEMP%\pip-target-XXXXXXXX\lib\python first, then moves the files
PIP_TARGET_TEMP = len("\\pip-target-xxxxxxxx\\lib\\python\\")
#: pip installs into `<folder>.staging`, swapped in after success (pip_plan.build_plan)
STAGING_SUFFIX = ".staging"
#: next to the usual folder, naming the shorter one really used
POINTER_SUFFIX = ".location"
TYPICAL_USER = "firstname.lastname"
LONG_PATHS_KEY = r"SYSTEM\CurrentControlSet\Control\FileSystem"


@dataclass(frozen=True)
class FolderChoice:
    folder: PurePath
    temp: PurePath | None = None  # pip's TEMP/TMP when the user's temp folder is itself too deep
    note: str = ""  # said in the install dialog when the folder is not the usual one


def long_paths_enabled() -> bool:
    """HKLM\\...\\FileSystem\\LongPathsEnabled = 1 (python.exe is long-path aware; the registry decides)."""
    try:
        import winreg
    except ImportError:  # not Windows: no such limit
        return True
    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, LONG_PATHS_KEY) as key:
            return winreg.QueryValueEx(key, "LongPathsEnabled")[0] == 1
    except OSError:
        return False


def deepest_path(folder: PurePath, deepest: int = DEEPEST_WHEEL_FILE) -> int:
    """Length of the longest path the install creates under `folder` (its staging name is the longer)."""
    return len(str(folder)) + len(STAGING_SUFFIX) + 1 + deepest


def fits(folder: PurePath, deepest: int = DEEPEST_WHEEL_FILE) -> bool:
    return deepest_path(folder, deepest) < MAX_PATH


def shorter_folders(usual: PurePath, env: Mapping[str, str]) -> list[PurePath]:
    """Per-user folders outside the roaming profile, shortest last: %LOCALAPPDATA%\\SegEarth, <drive>:\\SegEarth."""
    profile, key = usual.parent.parent.parent.name, usual.name
    folders = []
    if env.get("LOCALAPPDATA"):
        folders.append(PureWindowsPath(env["LOCALAPPDATA"]) / "SegEarth" / profile / key)
    drive = env.get("SystemDrive") or "C:"
    folders.append(PureWindowsPath(drive + "\\") / "SegEarth" / profile / key)
    return folders


def choose_folder(usual: PurePath, env: Mapping[str, str], long_paths: bool,
                  deepest: int = DEEPEST_WHEEL_FILE) -> FolderChoice:
    """The usual folder when the deepest file fits (or long paths are on), else the first shorter one that fits."""
    temp = _short_temp(usual, env, deepest) if not long_paths else None
    if long_paths or fits(usual, deepest):
        return FolderChoice(usual, temp)
    for folder in shorter_folders(usual, env):
        if fits(folder, deepest):
            note = (f"Windows limits paths to {MAX_PATH - 1} characters and long paths are not enabled: in {usual} "
                    f"torch's deepest file would need {deepest_path(usual, deepest)}. The packages go to {folder} "
                    "instead (SegEarth finds them there).")
            return FolderChoice(folder, _short_temp(folder, env, deepest), note)
    return FolderChoice(usual, temp, f"Windows limits paths to {MAX_PATH - 1} characters and long paths are not "
                        f"enabled: torch's deepest file would need {deepest_path(usual, deepest)} characters even in "
                        "the shortest folder. Enable long paths (Windows setting LongPathsEnabled) and restart.")


def _short_temp(folder: PurePath, env: Mapping[str, str], deepest: int) -> PurePath | None:
    """A temp folder for pip next to `folder` when the user's own TEMP is too deep for pip's --target step."""
    temp = env.get("TEMP") or env.get("TMP") or ""
    if temp and len(temp) + PIP_TARGET_TEMP + deepest < MAX_PATH:
        return None
    return folder.parent / "tmp"


def remember(usual: Path, chosen: Path) -> None:
    """Leave the pointer to the folder really used (or remove a stale one when it is the usual folder again)."""
    pointer = usual.with_name(usual.name + POINTER_SUFFIX)
    if Path(chosen) == Path(usual):
        pointer.unlink(missing_ok=True)
        return
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(str(chosen), encoding="utf-8")


def located(usual: Path) -> Path:
    """The folder the installer really used for `usual`: the pointer's target, else `usual` itself."""
    pointer = usual.with_name(usual.name + POINTER_SUFFIX)
    try:
        text = pointer.read_text(encoding="utf-8").strip()
    except OSError:
        return usual
    return Path(text) if text else usual
