"""Gathers the facts of this machine into an InstallPlan (interpreter, pip, GPU, PyTorch index, proxy, QGIS's own
versions), and finishes a successful pip run (prune duplicates, swap the folder in, say what was installed)."""

from __future__ import annotations

import shutil
import subprocess  # nosec B404 # pip and QGIS's own Python, argv lists, no shell
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .dependencies import is_debian_like, settings_dir
from .install_preflight import place, with_checks
from .pip_plan import InstallPlan, build_plan, constraints_text, proxy_url
from .private_site import folder_size, installed_versions, prune, swap_in, system_distributions
from .proxy_settings import qgis_proxy_settings
from .python_layout import PythonLayout, find_interpreter, private_folder
from .torch_choice import choose_torch, index_reachable, nvidia_gpus
from .windows_paths import remember


class PlanError(RuntimeError):
    """The install cannot start here; the message says why and what to do instead."""


def pip_available(python: str, run: Callable = subprocess.run) -> bool:
    try:
        done = run([python, "-m", "pip", "--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def make_plan(target: Path | None = None, wheelhouse: Path | None = None, layout: PythonLayout | None = None,
              proxy_settings: Mapping[str, object] | None = None,
              reachable: Callable[[str], bool] | None = None, long_paths: bool | None = None,
              wheel_files: Callable[[str], list[str] | None] | None = None) -> InstallPlan:
    """Everything the installer dialog shows before asking, and the pip command it then runs; `long_paths` and
    `wheel_files` (a package's file names on the index) stand in for the registry and the index in tests."""
    layout = layout or PythonLayout.current()
    python = find_interpreter(layout)
    if python is None:
        raise PlanError(f"QGIS's Python interpreter was not found next to {layout.executable} or in "
                        f"{layout.exec_prefix}; please report this with the Diagnostics button.")
    if not pip_available(str(python)):
        fix = ("sudo apt install python3-pip" if layout.os_name == "linux" and is_debian_like()
               else "reinstall QGIS with its Python (pip is part of it on Windows and macOS)")
        raise PlanError(f"QGIS's Python ({python}) has no pip; to get it: {fix}")
    usual = target or private_folder(settings_dir(), layout)
    choice = place(usual, layout, long_paths)
    target = Path(choice.folder)
    proxy = proxy_url(proxy_settings if proxy_settings is not None else qgis_proxy_settings())
    if wheelhouse is not None:
        def reachable(url: str) -> bool:  # offline: no index is asked
            return False
    elif reachable is None:
        def reachable(url: str) -> bool:
            return index_reachable(url, proxy=proxy)
    torch = choose_torch(layout, nvidia_gpus(layout), reachable)
    if wheelhouse is not None:  # offline: the folder decides the build; no index is asked
        why = torch.reason.split(";")[0].split(":")[0]
        torch = replace(torch, index_args=(), notes=(), reason=f"{why}: torch from the folder of wheels, in the build "
                        "it holds (make wheelhouse downloads the one for the machine that made it)")
    constraints = target.with_name(target.name + "-constraints.txt")
    constraints.parent.mkdir(parents=True, exist_ok=True)
    constraints.write_text(constraints_text(system_distributions()), encoding="utf-8")
    plan = build_plan(str(python), target, torch, constraints, wheelhouse=wheelhouse, proxy=proxy)
    return with_checks(plan, layout, choice, usual, wheelhouse, proxy, wheel_files)


@dataclass(frozen=True)
class InstallOutcome:
    target: Path
    size_bytes: int
    versions: dict[str, str]
    pruned: list[str]

    def summary(self) -> str:
        torch = self.versions.get("torch", "?")
        build = "CPU build" if "+cpu" in torch else ("CUDA build" if "+cu" in torch else "PyPI build")
        ort = self.versions.get("onnxruntime-gpu") and f"onnxruntime-gpu {self.versions['onnxruntime-gpu']}" or \
            f"onnxruntime {self.versions.get('onnxruntime', '?')}"
        return (f"torch {torch} ({build}), {ort}, transformers {self.versions.get('transformers', '?')}: "
                f"{self.size_bytes / 1e6:.0f} MB in {self.target}")


def finish(plan: InstallPlan) -> InstallOutcome:
    """After pip succeeded: drop what QGIS already has, then replace the private folder by the staging one."""
    pruned = prune(plan.staging, system_distributions())
    swap_in(plan.staging, plan.target)
    if plan.usual_target is not None:
        remember(plan.usual_target, plan.target)  # how the plugin finds a folder moved for Windows' path limit
    return InstallOutcome(plan.target, folder_size(plan.target), installed_versions(plan.target), pruned)


def discard(plan: InstallPlan) -> None:
    """After a failed or cancelled run: the previous folder stays as it was."""
    shutil.rmtree(plan.staging, ignore_errors=True)
