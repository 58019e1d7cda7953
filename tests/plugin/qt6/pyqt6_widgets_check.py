"""The plugin's Qt-only widgets built and driven under PyQt6 from PyPI (run by tests/plugin/test_pyqt6_widgets.py in
the venv of scripts/pyqt6_env.sh, never collected by the main run): the install dialog (an offline install of a real
wheel, a cancel, a blocker), the set-up dock and the question box. `qgis.PyQt` is the shim next to this file (plain
PyQt6); qtpy runs on PyQt6 (QT_API=pyqt6). This proves these modules import, build and react under Qt6; it does not
run QGIS 4 itself (not packaged for Debian): nothing here touches qgis.core or the dock that needs iface."""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "shim"))
os.environ["QT_API"] = "pyqt6"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.PyQt.QtCore import QT_VERSION_STR, Qt  # noqa: E402
from qgis.PyQt.QtTest import QTest  # noqa: E402
from qgis.PyQt.QtWidgets import QApplication  # noqa: E402

SHOTS = Path(os.environ.get("SEGEARTH_SHOT_DIR", "")) if os.environ.get("SEGEARTH_SHOT_DIR") else None


@pytest.fixture(scope="module")
def app():
    import PyQt6.QtCore  # noqa: QGS104 - the binding under test

    assert QT_VERSION_STR.startswith("6") and PyQt6.QtCore.PYQT_VERSION_STR.startswith("6")
    return QApplication.instance() or QApplication(["pyqt6-check"])


def _shot(widget, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(SHOTS / f"{name}.png"))


def _until(predicate, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        QApplication.processEvents()
        time.sleep(0.02)
    return bool(predicate())


def _wheel(folder: Path) -> Path:
    """A real (tiny, pure-Python) wheel for pip to install offline."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"segearth_probe/__init__.py": b"VALUE = 42\n",
             "segearth_probe-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: segearth-probe\nVersion: 1.0\n",
             "segearth_probe-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                                   b"Tag: py3-none-any\n"}
    record = [f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
              f"{len(data)}" for name, data in files.items()] + ["segearth_probe-1.0.dist-info/RECORD,,"]
    path = folder / "segearth_probe-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("segearth_probe-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return path


def _plan(tmp_path: Path):
    from segearth_qgis.packages.pip_plan import build_plan
    from segearth_qgis.packages.torch_choice import TorchChoice

    wheels = _wheel(tmp_path / "wheels").parent
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("", encoding="utf-8")
    return build_plan(sys.executable, tmp_path / "deps", TorchChoice("cpu", (), reason="none needed here"),
                      constraints, wheelhouse=wheels, requirements={"segearth_probe": "segearth-probe"})


def test_install_dialog_installs_offline_under_qt6(app, tmp_path):
    from segearth_qgis.packages.installer_dialog import InstallerDialog

    plan = _plan(tmp_path)
    dialog = InstallerDialog(lambda wheelhouse: plan)
    dialog.show()
    assert str(plan.target) in dialog.summary.text() and dialog.install.isEnabled()
    _shot(dialog, "installer-ready")
    outcomes = []
    dialog.installFinished.connect(lambda ok, text: outcomes.append((ok, text)))
    QTest.mouseClick(dialog.install, Qt.MouseButton.LeftButton)
    assert _until(lambda: outcomes, 240), dialog.log.toPlainText()[-2000:]
    assert outcomes[0][0], outcomes[0][1] + dialog.log.toPlainText()[-2000:]
    assert (plan.target / "segearth_probe" / "__init__.py").read_text() == "VALUE = 42\n"
    assert dialog.state == "done" and dialog.cancel.text() == "Close" and not dialog.install.isEnabled()
    _shot(dialog, "installer-done")
    dialog.close()


def test_install_dialog_cancel_under_qt6(app, tmp_path):
    from segearth_qgis.packages.installer_dialog import InstallerDialog

    plan = replace(_plan(tmp_path), command=[sys.executable, "-c", "import time; print('working', flush=True); "
                                                                   "time.sleep(60)"])
    dialog = InstallerDialog(lambda wheelhouse: plan)
    dialog.show()
    QTest.mouseClick(dialog.install, Qt.MouseButton.LeftButton)
    assert _until(lambda: "working" in "".join(dialog.output), 30)
    QTest.mouseClick(dialog.cancel, Qt.MouseButton.LeftButton)
    assert _until(lambda: dialog.state == "cancelled", 30), dialog.state
    assert "Cancelled" in dialog.result.text() and not plan.staging.exists()
    dialog.close()


def test_install_dialog_blocker_keeps_install_off_under_qt6(app, tmp_path):
    from segearth_qgis.packages.installer_dialog import InstallerDialog

    plan = replace(_plan(tmp_path), blockers=("No torch wheel for Python 3.14 on windows x86_64 at PyPI",))
    dialog = InstallerDialog(lambda wheelhouse: plan)
    dialog.show()
    assert "No torch wheel for Python 3.14" in dialog.summary.text() and not dialog.install.isEnabled()
    _shot(dialog, "installer-blocked")
    dialog.close()


def test_setup_dock_under_qt6(app):
    from segearth_qgis.packages.fallback import SetupDock

    dock = SetupDock()
    dock.show_missing(("torch", "onnxruntime"), "sudo apt install python3-rasterio", "ImportError: qtpy")
    dock.show()
    assert "Missing: torch, onnxruntime" in dock.status.text() and "python3-rasterio" in dock.status.text()
    clicks = []
    dock.install.clicked.connect(lambda: clicks.append(1))
    QTest.mouseClick(dock.install, Qt.MouseButton.LeftButton)
    assert clicks == [1]
    _shot(dock, "setup-dock")
    dock.show_missing((), "sudo apt install python3-rasterio", "ImportError: rasterio")
    assert dock.install.isHidden()
    dock.close()


def test_question_box_under_qt6(app):
    from segearth_qgis.dock.widgets import QuestionEdit

    box = QuestionEdit()
    box.show()
    submitted = []
    box.submitted.connect(lambda: submitted.append(box.toPlainText()))
    QTest.keyClicks(box, "where could")
    QTest.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(box, "a plane land?")
    assert submitted == [] and box.toPlainText() == "where could\na plane land?"
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert submitted == ["where could\na plane land?"]
    box.close()
