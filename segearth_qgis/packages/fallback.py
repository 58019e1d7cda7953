"""The stand-in plugin used when the real UI cannot import (on a bare QGIS: qtpy and the ML packages are missing).

It still shows a SegEarth dock that says what is missing and offers the one button that installs it. Only
qgis.PyQt is used here: qtpy may be exactly what is missing.
"""

from __future__ import annotations

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QDockWidget, QLabel, QPushButton, QVBoxLayout, QWidget

from ..common.translation import tr


class SetupDock(QDockWidget):
    """Missing packages, where they come from, and the install button."""

    def __init__(self, parent=None) -> None:
        super().__init__(tr("SegEarth"), parent)
        self.setObjectName("SegEarthDock")
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.status = QLabel(body)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.install = QPushButton(tr("Install dependencies…"), body)
        layout.addWidget(self.status)
        layout.addWidget(self.install)
        layout.addStretch(1)
        self.setWidget(body)

    def show_missing(self, from_pip: tuple[str, ...], os_hint: str, error: str) -> None:
        parts = [tr("SegEarth needs Python packages that this QGIS does not have yet.")]
        if from_pip:
            parts.append(tr("Missing: {}. Click “Install dependencies…” to install them into a private folder of "
                            "this QGIS profile, then restart QGIS.").format(", ".join(from_pip)))
        if os_hint:
            parts.append(tr("From your system, not from pip (they must use QGIS's own GDAL): {}").format(os_hint))
        parts.append(f'<span style="color:#777">{error}</span>')
        self.status.setText("<br><br>".join(parts))
        self.install.setVisible(bool(from_pip))


class FallbackPlugin:
    """A dock naming what is missing, with the install button; a warning in the message bar points at it."""

    def __init__(self, iface, error: BaseException) -> None:
        self.iface = iface
        self.error = error
        self.dock: SetupDock | None = None
        self.dialog = None

    def initGui(self) -> None:  # noqa: N802 - QGIS API
        from .dependencies import check_dependencies, os_package_hint

        status = check_dependencies()
        self.dock = SetupDock(self.iface.mainWindow())
        self.dock.show_missing(status.from_pip, os_package_hint(status.from_os), f"{type(self.error).__name__}: "
                               f"{self.error}")
        self.dock.install.clicked.connect(self.install_dependencies)
        self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.iface.messageBar().pushWarning(tr("SegEarth"), tr("SegEarth needs Python packages that this QGIS does "
                                                               "not have yet: see the SegEarth panel"))

    def install_dependencies(self):
        """Open the installer dialog (returned for tests)."""
        self.dialog = open_installer(self.iface)
        return self.dialog

    def unload(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog = None
        if self.dock is not None:
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None


def open_installer(iface, target=None):
    """The installer dialog for this QGIS, shown non-modally; its outcome also goes to the message bar."""
    from .installer import make_plan
    from .installer_dialog import InstallerDialog

    dialog = InstallerDialog(lambda wheelhouse: make_plan(target=target, wheelhouse=wheelhouse), iface.mainWindow())

    def report(ok: bool, text: str) -> None:
        bar = iface.messageBar()
        if ok:
            bar.pushSuccess(tr("SegEarth"), text)
        else:
            bar.pushCritical(tr("SegEarth"), tr("Installation failed: {}").format(text.splitlines()[0]))

    dialog.installFinished.connect(report)
    dialog.show()
    return dialog
