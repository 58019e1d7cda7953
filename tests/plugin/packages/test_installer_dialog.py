"""The installer dialog runs real pip in a QProcess: live output, the folder swapped in only on success, the real
cause first on failure, Cancel leaving nothing behind."""

from __future__ import annotations

import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from qgis.PyQt.QtCore import QCoreApplication

from segearth_qgis.packages import installer
from segearth_qgis.packages.installer_dialog import InstallerDialog
from segearth_qgis.packages.pip_plan import build_plan
from segearth_qgis.packages.python_layout import PythonLayout
from segearth_qgis.packages.torch_choice import TorchChoice

NO_TORCH = TorchChoice("cpu", (), reason="test: no torch")


def wait_until(predicate, timeout: float) -> None:
    end = time.monotonic() + timeout
    while not predicate() and time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.02)


def small_plan(tmp_path: Path, requirements: dict[str, str]):
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("numpy<2\n")
    return build_plan(sys.executable, tmp_path / "deps", NO_TORCH, constraints, requirements=requirements)


def test_make_plan_describes_this_machine(tmp_path):
    plan = installer.make_plan(target=tmp_path / "deps", proxy_settings={}, reachable=lambda url: False)
    assert Path(plan.python).is_file() and plan.staging == tmp_path / "deps.staging"
    assert "torch" in plan.packages[0] and plan.torch.reason
    constraints = (tmp_path / "deps-constraints.txt").read_text()
    assert f"numpy=={version('numpy')}\n" in constraints  # pinned to the numpy QGIS runs on (1.x or 2.x)
    if PythonLayout.current().arch == "x86_64" and sys.platform == "linux":
        assert "unreachable" in plan.torch.reason  # the probe said so; the dialog shows it
    offline = installer.make_plan(target=tmp_path / "deps", wheelhouse=tmp_path / "wheels", proxy_settings={},
                                  reachable=lambda url: pytest.fail("offline installs ask no index"))
    assert "--no-index" in offline.command and "folder of wheels" in offline.torch.reason
    assert offline.torch.index_args == () and offline.torch.notes == ()


def test_dialog_installs_into_private_folder(qgis_app, tmp_path):
    # qtpy at another version than this Python's stays; affine at the very same version is pruned (QGIS has it)
    plan = small_plan(tmp_path, {"qtpy": "qtpy==2.3.1", "affine": f"affine=={version('affine')}", "tomli_w": "tomli-w"})
    dialog = InstallerDialog(lambda wheelhouse: plan)
    assert "qtpy==2.3.1" in dialog.summary.text() and str(plan.target) in dialog.summary.text()
    outcomes = []
    dialog.installFinished.connect(lambda ok, text: outcomes.append((ok, text)))
    dialog.start()
    wait_until(lambda: outcomes, 240)
    assert outcomes and outcomes[0][0], dialog.log.toPlainText()[-3000:]
    assert (plan.target / "qtpy" / "__init__.py").is_file() and (plan.target / "tomli_w").is_dir()
    assert not (plan.target / "affine").exists() and "removed from the folder: affine" in dialog.log.toPlainText()
    assert not plan.staging.exists()
    assert "Successfully installed" in dialog.log.toPlainText()  # pip's own output, streamed into the dialog
    assert "Restart QGIS" in dialog.result.text() and dialog.state == "done"
    dialog.close()


def test_dialog_failure_shows_the_cause_first_and_keeps_old_folder(qgis_app, tmp_path):
    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "kept.py").write_text("")
    plan = small_plan(tmp_path, {"x": "segearth-engine-no-such-package==0.0.1"})
    dialog = InstallerDialog(lambda wheelhouse: plan)
    outcomes = []
    dialog.installFinished.connect(lambda ok, text: outcomes.append((ok, text)))
    dialog.start()
    wait_until(lambda: outcomes, 240)
    ok, text = outcomes[0]
    assert not ok and dialog.state == "failed"
    assert text.splitlines()[0].startswith("No wheel fits"), text
    assert "segearth-engine-no-such-package" in text and "WARNING" not in text
    assert (tmp_path / "deps" / "kept.py").is_file() and not plan.staging.exists()
    dialog.close()


def test_cancel_kills_pip_and_leaves_nothing(qgis_app, tmp_path):
    plan = small_plan(tmp_path, {})
    slow = [sys.executable, "-c", "import os, sys, time; os.makedirs(sys.argv[1]); print('working', flush=True); "
            "time.sleep(120)", str(plan.staging)]
    plan = type(plan)(plan.python, plan.target, plan.staging, slow, plan.torch, plan.source, plan.packages, plan.env)
    dialog = InstallerDialog(lambda wheelhouse: plan)
    outcomes = []
    dialog.installFinished.connect(lambda ok, text: outcomes.append((ok, text)))
    dialog.start()
    wait_until(lambda: "working" in dialog.log.toPlainText(), 30)
    started = time.monotonic()
    dialog.cancel_or_close()
    assert time.monotonic() - started < 10
    assert outcomes == [(False, "Cancelled; nothing was changed")] and dialog.state == "cancelled"
    assert not plan.staging.exists() and not plan.target.exists()
    dialog.close()


def test_dialog_explains_when_no_plan_is_possible(qgis_app):
    def refuse(wheelhouse):
        raise installer.PlanError("QGIS's Python has no pip; to get it: sudo apt install python3-pip")

    dialog = InstallerDialog(refuse)
    assert "apt install python3-pip" in dialog.summary.text() and not dialog.install.isEnabled()
    dialog.close()


@pytest.mark.parametrize("argv", [["py", "-m", "pip", "install", "--proxy", "http://ann:secret@proxy:3128", "x"]])
def test_proxy_password_is_not_shown(argv):
    from segearth_qgis.packages.installer_dialog import _redacted

    assert "secret" not in " ".join(_redacted(argv)) and "ann:***@proxy" in " ".join(_redacted(argv))
