"""What is checked before the installer downloads anything: where the packages can go (Windows' path limit) and
whether every binary package has a wheel for this Python. Both end up in the dialog's summary, before Install."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .pip_plan import InstallPlan
from .python_layout import PythonLayout
from .wheel_availability import folder_files, index_lister, indexes_for, missing_wheels
from .windows_paths import FolderChoice, choose_folder, long_paths_enabled


def place(usual: Path, layout: PythonLayout, long_paths: bool | None = None) -> FolderChoice:
    """The private folder to install into: on Windows a shorter one when torch's deepest file would not fit."""
    if layout.os_name != "windows":
        return FolderChoice(usual)
    return choose_folder(usual, os.environ, long_paths_enabled() if long_paths is None else long_paths)


def with_checks(plan: InstallPlan, layout: PythonLayout, choice: FolderChoice, usual: Path,
                wheelhouse: Path | None, proxy: str | None,
                lister: Callable[[str], list[str] | None] | None = None) -> InstallPlan:
    """The plan with the folder's note, pip's short TEMP if needed, and a blocker per wheel missing for this Python."""
    if lister is None:
        if wheelhouse is not None:
            where = f"the folder of wheels {wheelhouse}"
            lister = lambda name: folder_files(wheelhouse, name)  # noqa: E731
        else:
            indexes = indexes_for(plan.torch.index_args, dict(os.environ))
            where = " or ".join(indexes)
            lister = index_lister(indexes, proxy)
    else:
        where = "the package index"
    platform = f"{layout.os_name} {layout.arch}"
    blockers = tuple(m.message(platform) for m in missing_wheels(plan.packages, lister, where, layout.version))
    env = dict(plan.env)
    if choice.temp is not None:
        env.update(TEMP=str(choice.temp), TMP=str(choice.temp))
    notes = (choice.note,) if choice.note else ()
    return replace(plan, env=env, notes=notes, blockers=blockers, usual_target=usual)
