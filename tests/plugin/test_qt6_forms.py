"""The Qt6 gate of `make test` (scripts/qt6_check.py): our code has no Qt5-only form, and the check catches each one.

Each form is written to a file and checked with the real flake8-qgis and the real PyQt5/QGIS classes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import plugins_xml  # noqa: E402
import qt6_check  # noqa: E402

sys.path.remove(str(REPO / "scripts"))

#: (code, what the finding must say) -> the Qt5-only form
FORMS = {
    ("QGS103", "PyQt"): "from PyQt5.QtCore import Qt\n",
    ("QGS104", "PyQt"): "import PyQt5.QtWidgets\n",
    ("QGS107", "exec_"): "def run(dialog):\n    return dialog.exec_()\n",
    ("QGS401", "qApp"): "from qgis.PyQt.QtWidgets import qApp\nqApp.processEvents()\n",
    ("QGS402", "QMetaType"): "from qgis.PyQt.QtCore import QVariant\nKIND = QVariant.Int\n",
    ("QGS406", "QRegExp"): "from qgis.PyQt.QtCore import QRegExp\n",
    ("QGS407", "QDesktopWidget"): "from qgis.PyQt.QtWidgets import QApplication\nQApplication.desktop()\n",
    ("QT601", "write Qt.AlignmentFlag.AlignLeft"): "from qgis.PyQt.QtCore import Qt\nA = Qt.AlignLeft\n",
    ("QT601", "write QDialog.DialogCode.Accepted"): "from qgis.PyQt.QtWidgets import QDialog\nA = QDialog.Accepted\n",
    ("QT601", "write QgsTask.Flag.CanCancel"): "from qgis.core import QgsTask\nF = QgsTask.CanCancel\n",
    ("QT601", "write QMessageBox.StandardButton.Yes"): "from qtpy.QtWidgets import QMessageBox\nB = QMessageBox.Yes\n",
    ("QT602", "QtWebKitWidgets"): "from qgis.PyQt.QtWebKitWidgets import QWebView\n",
    ("QT602", "QtXmlPatterns"): "from qtpy import QtXmlPatterns\n",
}
QT6_FORMS = """from qgis.core import QgsTask
from qgis.PyQt.QtCore import QMetaType, Qt
from qgis.PyQt.QtWidgets import QDialog, QMessageBox


def run(dialog: QDialog) -> bool:
    flags = QgsTask.Flag.CanCancel
    align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    kind = QMetaType.Type.QString
    answer = QMessageBox.StandardButton.Yes
    return dialog.exec() == QDialog.DialogCode.Accepted and bool(flags and align and kind and answer)
"""


def test_our_code_has_no_qt5_only_form(qgis_app):
    assert qt6_check.check([REPO / path for path in qt6_check.PATHS]) == []


@pytest.mark.parametrize(("code", "says"), list(FORMS))
def test_each_qt5_only_form_is_caught(qgis_app, tmp_path, code, says):
    source = tmp_path / "form.py"
    source.write_text(FORMS[(code, says)], encoding="utf-8")
    findings = qt6_check.check([source])
    assert any(f" {code} " in f and says in f for f in findings), findings


def test_scoped_forms_and_explained_exceptions_pass(qgis_app, tmp_path):
    good = tmp_path / "good.py"
    good.write_text(QT6_FORMS, encoding="utf-8")
    assert qt6_check.check([good]) == []
    kept = tmp_path / "kept.py"
    kept.write_text("from qgis.PyQt.QtCore import QVariant, Qt\n"
                    "A = Qt.AlignLeft  # qt5-only: a test of the exemption\n"
                    "K = QVariant.Type.Int  # noqa: QGS402\n", encoding="utf-8")
    assert qt6_check.check([kept]) == []
    assert qt6_check.main([str(good)]) == 0 and qt6_check.main([str(tmp_path / "kept.py"), str(good)]) == 0


def test_metadata_offers_the_plugin_to_qgis_4_and_qt6_builds(tmp_path):
    """QGIS's plugin manager lists a plugin whose minimum is 3.x on Qt6 builds (QGIS 4, the Qt6 builds of 3.40+) only
    with supportsQt6; qgisMaximumVersion must reach 4.x. Our custom repository's plugins.xml carries the same."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "metadata.txt", encoding="utf-8")
    general = parser["general"]
    assert general["supportsQt6"] == "True" and general["qgisMinimumVersion"] == "3.22"
    assert general["qgisMaximumVersion"] == "4.99"
    xml = plugins_xml.write_plugins_xml(REPO / "metadata.txt", tmp_path / "segearth_qgis.zip", tmp_path / "p.xml")
    assert "<supports_qt6>True</supports_qt6>" in xml.read_text(encoding="utf-8")
