"""Windows' path limit against the real file list of PyPI's torch 2.13.0 win_amd64 wheel (its 76 paths of 100+
characters, tests/fixtures/torch-2.13.0-cp312-win_amd64-long-paths.txt): the usual folder under %APPDATA% overflows
for any user name, so a shorter folder is chosen, said in the plan, and found again by the plugin."""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

from segearth_qgis.packages import install_preflight
from segearth_qgis.packages.python_layout import PythonLayout
from segearth_qgis.packages.windows_paths import (
    DEEPEST_WHEEL_FILE,
    MAX_PATH,
    STAGING_SUFFIX,
    TYPICAL_USER,
    choose_folder,
    deepest_path,
    located,
    remember,
)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "torch-2.13.0-cp312-win_amd64-long-paths.txt"
WHEEL_PATHS = [line for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def usual_folder(user: str) -> PureWindowsPath:
    return PureWindowsPath(f"C:\\Users\\{user}\\AppData\\Roaming\\QGIS\\QGIS3\\profiles\\default\\python\\"
                           "segearth_deps\\py312-windows-x86_64")


def user_env(user: str) -> dict[str, str]:
    return {"LOCALAPPDATA": f"C:\\Users\\{user}\\AppData\\Local", "TEMP": f"C:\\Users\\{user}\\AppData\\Local\\Temp",
            "SystemDrive": "C:"}


def longest_created(folder: PureWindowsPath) -> int:
    """The longest path pip creates in `folder`'s staging copy, from the wheel's own file names."""
    staging = PureWindowsPath(str(folder) + STAGING_SUFFIX)
    return max(len(str(staging / PureWindowsPath(*path.split("/")))) for path in WHEEL_PATHS)


def test_deepest_file_is_the_real_wheels():
    assert len(WHEEL_PATHS) == 76 and max(len(p) for p in WHEEL_PATHS) == DEEPEST_WHEEL_FILE
    assert deepest_path(usual_folder(TYPICAL_USER)) == longest_created(usual_folder(TYPICAL_USER))


def test_usual_folder_overflows_and_a_shorter_one_is_chosen():
    usual = usual_folder(TYPICAL_USER)
    assert longest_created(usual) == 289 > MAX_PATH - 1  # C:\Users\firstname.lastname\AppData\Roaming\...
    choice = choose_folder(usual, user_env(TYPICAL_USER), long_paths=False)
    assert choice.folder == PureWindowsPath(r"C:\Users\firstname.lastname\AppData\Local\SegEarth\default"
                                            r"\py312-windows-x86_64")
    assert longest_created(choice.folder) == 255 < MAX_PATH
    assert str(choice.folder) in choice.note and "289" in choice.note and str(usual) in choice.note
    assert choice.temp is None  # %TEMP%\pip-target-XXXXXXXX\lib\python\... fits (244)


def test_long_user_names_fall_back_to_the_drive_and_a_short_temp():
    user = "a.very.long.user.name.of.a.domain"  # 33 characters: even %LOCALAPPDATA% and %TEMP% are too deep
    choice = choose_folder(usual_folder(user), user_env(user), long_paths=False)
    assert choice.folder == PureWindowsPath(r"C:\SegEarth\default\py312-windows-x86_64")
    assert choice.temp == PureWindowsPath(r"C:\SegEarth\default\tmp")
    assert longest_created(choice.folder) < MAX_PATH


def test_long_paths_enabled_keeps_the_usual_folder():
    usual = usual_folder(TYPICAL_USER)
    assert choose_folder(usual, user_env(TYPICAL_USER), long_paths=True).folder == usual
    assert install_preflight.place(Path("/p/deps"), PythonLayout.current(), long_paths=False).folder == Path("/p/deps")


def test_pointer_leads_the_plugin_to_the_chosen_folder(tmp_path):
    usual, chosen = tmp_path / "profile" / "py312-windows-x86_64", tmp_path / "short" / "py312-windows-x86_64"
    assert located(usual) == usual
    remember(usual, chosen)
    assert located(usual) == chosen
    remember(usual, usual)  # installed in the usual folder again: the pointer goes
    assert located(usual) == usual and not list(usual.parent.glob("*.location"))
