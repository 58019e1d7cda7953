"""The installer's decisions, Qt-free: QGIS's interpreter and private folder on Linux, Windows (OSGeo4W and the
standalone installer) and macOS (QGIS.app) from fake layouts on disk; the torch/onnxruntime build per machine; pip's
command, constraints, proxy and failure cause; the private folder's pruning and its place on sys.path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from segearth_qgis.packages import pip_plan, private_site
from segearth_qgis.packages.python_layout import PythonLayout, find_interpreter, private_folder
from segearth_qgis.packages.torch_choice import Gpu, choose_torch, cuda_tag_for_driver, parse_nvidia_smi


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    return path


def test_osgeo4w_interpreter_is_the_apps_python_not_qgis_bin(tmp_path):
    root = tmp_path / "OSGeo4W"
    qgis = touch(root / "bin" / "qgis-bin.exe")
    touch(root / "bin" / "python.exe")  # OSGeo4W's launcher exists too, but the prefix's own python comes first
    python = touch(root / "apps" / "Python312" / "python.exe")
    layout = PythonLayout("win32", "AMD64", (3, 12), qgis, root / "apps" / "Python312")
    assert find_interpreter(layout) == python
    assert layout.key == "py312-windows-x86_64"


def test_standalone_windows_installer_found_from_qgis_bin_when_prefix_is_odd(tmp_path):
    root = tmp_path / "Program Files" / "QGIS 3.40.1"
    qgis = touch(root / "bin" / "qgis-bin.exe")
    python = touch(root / "apps" / "Python312" / "python.exe")
    layout = PythonLayout("win32", "AMD64", (3, 12), qgis, root)  # exec_prefix without python.exe
    assert find_interpreter(layout) == python


def test_macos_app_bundle_interpreter(tmp_path):
    contents = tmp_path / "QGIS.app" / "Contents"
    qgis = touch(contents / "MacOS" / "QGIS")
    python = touch(contents / "MacOS" / "bin" / "python3.9")
    layout = PythonLayout("darwin", "arm64", (3, 9), qgis, contents / "Frameworks")
    assert find_interpreter(layout) == python
    assert layout.key == "py39-macos-arm64"
    settings = tmp_path / "Library" / "Application Support" / "QGIS" / "QGIS3" / "profiles" / "default"
    assert private_folder(settings, layout) == settings / "python" / "segearth_deps" / "py39-macos-arm64"


def test_linux_interpreter_skips_pyenv_shims_and_the_qgis_binary(tmp_path):
    shim = touch(tmp_path / ".pyenv" / "shims" / "python3")
    python = touch(tmp_path / "usr" / "bin" / "python3.11")
    layout = PythonLayout("linux", "x86_64", (3, 11), shim, tmp_path / "usr")
    assert find_interpreter(layout) == python
    qgis = PythonLayout("linux", "aarch64", (3, 11), touch(tmp_path / "usr" / "bin" / "qgis"), tmp_path / "usr")
    assert find_interpreter(qgis) == python and qgis.key == "py311-linux-arm64"
    assert find_interpreter(PythonLayout("linux", "x86_64", (3, 13), shim, tmp_path / "none")) is None


def test_running_python_is_found():
    assert find_interpreter() is not None


LINUX = PythonLayout("linux", "x86_64", (3, 11), Path("/usr/bin/qgis"), Path("/usr"))
WINDOWS = PythonLayout("win32", "AMD64", (3, 12), Path("C:/OSGeo4W/bin/qgis-bin.exe"), Path("C:/OSGeo4W/apps/Py"))
MACOS = PythonLayout("darwin", "arm64", (3, 9), Path("/Applications/QGIS.app/Contents/MacOS/QGIS"), Path("/x"))
RTX = [Gpu("NVIDIA GeForce RTX 4090", "570.86.10", "8.9")]


def test_torch_cpu_index_on_linux_without_gpu():
    probed = []
    choice = choose_torch(LINUX, [], lambda url: probed.append(url) or True)
    assert probed == ["https://download.pytorch.org/whl/cpu"]
    assert choice.build == "cpu" and "onnxruntime" in choice.requirements
    assert choice.index_args[:2] == ("--index-url", "https://download.pytorch.org/whl/cpu")
    assert "--extra-index-url" in choice.index_args and "no NVIDIA GPU" in choice.reason


def test_torch_without_pytorch_index_on_linux_says_what_pypi_gives():
    choice = choose_torch(LINUX, [], lambda url: False)
    assert choice.build == "cpu" and choice.index_args == ()
    assert "unreachable" in choice.reason and "CUDA build" in choice.notes[0]  # honest about PyPI's Linux torch


def test_torch_cuda_where_nvidia_smi_sees_a_gpu():
    choice = choose_torch(LINUX, RTX, lambda url: True)
    assert choice.build == "cuda" and "onnxruntime-gpu" in choice.requirements
    assert choice.index_args[1] == "https://download.pytorch.org/whl/cu128" and "RTX 4090" in choice.reason
    windows = choose_torch(WINDOWS, RTX, lambda url: True)
    assert windows.build == "cuda" and windows.index_args[1].endswith("/cu128")
    offline = choose_torch(WINDOWS, RTX, lambda url: False)  # PyPI's Windows torch is CPU-only
    assert offline.build == "cpu" and "onnxruntime" in offline.requirements and "unreachable" in offline.reason


def test_torch_cpu_on_windows_and_macos_needs_no_index():
    assert choose_torch(WINDOWS, [], lambda url: pytest.fail("no probe needed")).index_args == ()
    mac = choose_torch(MACOS, RTX, lambda url: pytest.fail("no probe needed"))
    assert mac.build == "cpu" and mac.index_args == () and "MPS" in mac.reason


def test_old_driver_gets_cpu_and_new_driver_cuda13():
    assert cuda_tag_for_driver("470.182.03") is None and cuda_tag_for_driver("580.65.06") == "cu130"
    choice = choose_torch(LINUX, [Gpu("Tesla K80", "470.182.03")], lambda url: True)
    assert choice.build == "cpu" and "too old" in choice.reason


def test_parse_nvidia_smi():
    out = "NVIDIA H200, 570.124.06, 9.0\nNVIDIA GeForce RTX 5090, 575.51.02, 12.0\n"
    assert parse_nvidia_smi(out) == [Gpu("NVIDIA H200", "570.124.06", "9.0"),
                                     Gpu("NVIDIA GeForce RTX 5090", "575.51.02", "12.0")]
    assert parse_nvidia_smi("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.") == []


def test_proxy_from_qgis_settings():
    assert pip_plan.proxy_url({"proxy/proxyEnabled": "false", "proxy/proxyHost": "p"}) is None
    assert pip_plan.proxy_url({"proxy/proxyEnabled": "true", "proxy/proxyType": "DefaultProxy",
                               "proxy/proxyHost": "p"}) is None
    assert pip_plan.proxy_url({"proxy/proxyEnabled": "true", "proxy/proxyType": "HttpProxy",
                               "proxy/proxyHost": "proxy.corp", "proxy/proxyPort": "3128", "proxy/proxyUser": "ann",
                               "proxy/proxyPassword": "p@ss:w"}) == "http://ann:p%40ss%3Aw@proxy.corp:3128"
    assert pip_plan.proxy_url({"proxy/proxyEnabled": True, "proxy/proxyType": "Socks5Proxy",
                               "proxy/proxyHost": "s", "proxy/proxyPort": 1080}) == "socks5://s:1080"


def test_plan_pins_qgis_stack_and_passes_index_proxy_or_wheelhouse(tmp_path):
    constraints = pip_plan.constraints_text({"numpy": "1.24.2", "shapely": "1.8.5", "sympy": "1.11.1"})
    assert "numpy==1.24.2" in constraints and "shapely==1.8.5" in constraints and "sympy" not in constraints
    assert "numpy==2.2.4" in pip_plan.constraints_text({"numpy": "2.2.4"})  # QGIS 3.40's numpy 2 is kept
    assert "numpy" not in pip_plan.constraints_text({})  # no cap of ours: the engine runs on numpy 1 and 2
    choice = choose_torch(LINUX, [], lambda url: True)
    plan = pip_plan.build_plan("/usr/bin/python3.11", tmp_path / "deps", choice, tmp_path / "c.txt",
                               proxy="http://proxy:3128")
    command = plan.command
    assert command[:4] == ["/usr/bin/python3.11", "-m", "pip", "install"]
    assert command[command.index("--target") + 1] == str(tmp_path / "deps.staging")
    assert command[command.index("--index-url") + 1].endswith("/whl/cpu")
    assert command[command.index("--proxy") + 1] == "http://proxy:3128"
    assert "qtpy>=2.0" in command and choice.requirements[0] in command
    assert not any(name in arg for arg in command for name in ("segearth-engine", "rasterio", "shapely"))
    assert "PYTHONPATH" not in plan.env and plan.env["PYTHONNOUSERSITE"] == "1"
    offline = pip_plan.build_plan("py", tmp_path / "deps", choice, tmp_path / "c.txt", wheelhouse=tmp_path / "w",
                                  proxy="http://proxy:3128")
    assert "--no-index" in offline.command and "--index-url" not in offline.command
    assert "--proxy" not in offline.command and "offline" in offline.source


def test_engine_dependencies_are_all_installed_by_the_button():
    """Every runtime dependency of the engine is either pip-installed by the button or comes from QGIS/the OS."""
    import tomllib

    from segearth_qgis.packages.dependencies import OS_PACKAGES

    project = tomllib.loads((Path(__file__).resolve().parents[3] / "engine" / "pyproject.toml").read_text())
    wanted = project["project"]["dependencies"] + project["project"]["optional-dependencies"]["torch"]
    names = {pip_plan.normalise(req.split("<")[0].split(">")[0].split("=")[0].split("[")[0]) for req in wanted}
    covered = {pip_plan.normalise(n) for n in (*pip_plan.PIP_REQUIREMENTS, *OS_PACKAGES, "torch", "onnxruntime")}
    assert names <= covered, names - covered


PIP_FAILURE = """Collecting segearth-engine[torch]
WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken
WARNING: The directory '/root/.cache/pip' or its parent directory is not owned by the current user
ERROR: Could not find a version that satisfies the requirement segearth-engine[torch] (from versions: none)
ERROR: No matching distribution found for segearth-engine[torch]
"""


def test_failure_cause_comes_first_without_pips_warnings():
    cause = pip_plan.failure_cause(PIP_FAILURE)
    assert cause.splitlines()[0].startswith("No wheel fits")
    assert "No matching distribution found for segearth-engine" in cause and "WARNING" not in cause
    network = pip_plan.failure_cause("WARNING: x\nERROR: Could not install: HTTPSConnectionPool: Max retries exceeded "
                                     "(Caused by NewConnectionError('Failed to establish a new connection'))")
    assert network.startswith("No connection to the package index")
    assert pip_plan.failure_cause("Traceback\nKeyboardInterrupt\n").endswith("KeyboardInterrupt")


def fake_dist(folder: Path, name: str, version: str, files: list[str]) -> None:
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    for relative in files:
        touch(folder / relative)
    record = [f"{relative},," for relative in files] + [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n")


def test_prune_drops_protected_and_exact_duplicates_keeps_newer(tmp_path):
    folder = tmp_path / "deps"
    fake_dist(folder, "numpy", "1.24.2", ["numpy/__init__.py", "numpy/core/x.py", "bin/f2py"])
    fake_dist(folder, "sympy", "1.14.0", ["sympy/__init__.py"])
    fake_dist(folder, "PyYAML", "6.0", ["yaml/__init__.py"])
    fake_dist(folder, "triton", "3.7.1", ["triton/__init__.py", "triton/_C/libtriton.so"])
    removed = private_site.prune(folder, {"numpy": "1.24.2", "sympy": "1.11.1", "pyyaml": "6.0"})
    assert sorted(removed) == ["numpy 1.24.2", "pyyaml 6.0", "triton 3.7.1"]  # triton's LLVM crashes QGIS
    assert not (folder / "triton").exists()
    assert not (folder / "numpy").exists() and not (folder / "yaml").exists() and not (folder / "bin").exists()
    assert (folder / "sympy" / "__init__.py").is_file()  # newer than the OS's: it stays and must win


def test_private_folder_goes_first_and_its_sympy_wins_over_the_os_one(tmp_path):
    """The sympy case from the issue, in a fresh interpreter: the folder's sympy is imported, not the OS's."""
    folder = tmp_path / "py311-linux-x86_64"
    touch(folder / "sympy" / "__init__.py").write_text("__version__ = '99.0'\n")
    script = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
              "from segearth_qgis.packages.private_site import activate; print(activate(Path(sys.argv[2]))); "
              "import sympy; print(sympy.__version__)")
    env = dict(os.environ, PYTHONPATH="")
    done = subprocess.run([sys.executable, "-c", script, str(Path(__file__).resolve().parents[3]), str(folder)],
                          capture_output=True, text=True, env=env, timeout=60, check=True)
    assert done.stdout.split() == ["first", "on", "sys.path", "99.0"]


def test_private_folder_holding_qgis_stack_is_appended_not_prepended(tmp_path, monkeypatch):
    folder = tmp_path / "deps"
    touch(folder / "numpy" / "__init__.py")
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert private_site.activate(folder).startswith("appended (holds numpy")
    assert sys.path[-1] == str(folder)


def test_swap_in_replaces_the_folder(tmp_path):
    target, staging = tmp_path / "deps", tmp_path / "deps.staging"
    touch(target / "old.py")
    touch(staging / "new.py")
    private_site.swap_in(staging, target)
    assert (target / "new.py").is_file() and not (target / "old.py").exists() and not staging.exists()
