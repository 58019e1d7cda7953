"""The one dialog of the installer: what will be installed, where and why (the single confirmation), then pip's
live output with Cancel, then the outcome with the real cause first when it failed.

Built on qgis.PyQt, not qtpy: it must work when qtpy is one of the packages still missing.
"""

from __future__ import annotations

from pathlib import Path

from qgis.PyQt.QtCore import QProcess, QProcessEnvironment, Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from ..common.translation import tr
from .pip_plan import InstallPlan, failure_cause


class InstallerDialog(QDialog):
    """`plan_for(wheelhouse)` builds the InstallPlan (raising PlanError with the reason when it cannot)."""

    installFinished = pyqtSignal(bool, str)  # noqa: N815 - ok, summary or cause

    def __init__(self, plan_for, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Install SegEarth dependencies"))
        self.setObjectName("SegEarthInstaller")
        self.resize(760, 520)
        self.plan_for = plan_for
        self.plan: InstallPlan | None = None
        self.process: QProcess | None = None
        self.output: list[str] = []
        self.state = "ready"  # ready, running, done, failed, cancelled
        self.outcome_text = ""

        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary)
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setVisible(False)
        layout.addWidget(self.result)
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        layout.addWidget(self.log, 1)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        buttons = QHBoxLayout()
        self.wheels = QPushButton(tr("Use a folder of wheels…"), self)
        self.wheels.setToolTip(tr("Offline machines: install from wheels downloaded elsewhere (make wheelhouse)"))
        self.wheels.clicked.connect(self.choose_wheelhouse)
        self.install = QPushButton(tr("Install"), self)
        self.install.setDefault(True)
        self.install.clicked.connect(self.start)
        self.cancel = QPushButton(tr("Cancel"), self)
        self.cancel.clicked.connect(self.cancel_or_close)
        buttons.addWidget(self.wheels)
        buttons.addStretch(1)
        buttons.addWidget(self.install)
        buttons.addWidget(self.cancel)
        layout.addLayout(buttons)
        self.replan(None)

    # -- the confirmation ------------------------------------------------------------------------------------------
    def replan(self, wheelhouse: Path | None) -> InstallPlan | None:
        from .installer import PlanError

        try:
            self.plan = self.plan_for(wheelhouse)
        except PlanError as exc:
            self.plan = None
            self.summary.setText(f'<span style="color:#b00020">{exc}</span>')
            self.install.setEnabled(False)
            return None
        plan = self.plan
        lines = [tr("SegEarth will install these Python packages into a private folder of this QGIS profile. QGIS's "
                    "own numpy, GDAL and geo packages are not touched."),
                 tr("Packages: {}").format(", ".join(plan.packages)),
                 tr("Folder: {}").format(plan.target),
                 tr("Torch: {} — {}").format(plan.torch.build.upper(), plan.torch.reason),
                 tr("From: {}").format(plan.source)]
        lines += list(plan.torch.notes) + [_html(note) for note in plan.notes]
        lines += [f'<span style="color:#b00020"><b>{_html(blocker)}</b></span>' for blocker in plan.blockers]
        lines.append(tr("The download can be large (torch alone is several hundred MB). Restart QGIS afterwards."))
        self.summary.setText("<br>".join(lines))
        self.install.setEnabled(not plan.blockers)
        return plan

    def choose_wheelhouse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Folder of wheels"))
        if folder:
            self.replan(Path(folder))

    # -- the run ---------------------------------------------------------------------------------------------------
    def start(self) -> QProcess | None:
        if self.plan is None or self.state == "running":
            return None
        plan = self.plan
        from .installer import discard

        discard(plan)  # a staging folder left by a killed QGIS
        self.output.clear()
        self.log.clear()
        self._append(" ".join(_redacted(plan.command)) + "\n")
        process = QProcess(self)
        env = QProcessEnvironment()
        for key, value in plan.env.items():
            env.insert(key, value)
        process.setProcessEnvironment(env)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self.process = process
        self.state = "running"
        self.install.setEnabled(False)
        self.wheels.setEnabled(False)
        self.progress.setVisible(True)
        self.result.setVisible(False)
        process.start(plan.command[0], plan.command[1:])
        return process

    def _append(self, text: str) -> None:
        self.output.append(text)
        self.log.moveCursor(self.log.textCursor().MoveOperation.End)
        self.log.insertPlainText(text)
        self.log.ensureCursorVisible()

    def _read(self) -> None:
        if self.process is not None:
            self._append(bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace"))

    def _error(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart and self.state == "running":
            self._done(False, tr("The installer could not start {}").format(self.plan.command[0]))

    def _finished(self, code: int, _status=None) -> None:
        if self.state == "cancelling":
            self._done(False, tr("Cancelled; nothing was changed"))
            return
        if self.state != "running":
            return
        self._read()
        if code != 0:
            self._done(False, failure_cause("".join(self.output)))
            return
        from .installer import finish

        try:
            outcome = finish(self.plan)
        except OSError as exc:
            self._done(False, tr("pip finished but the folder could not be put in place: {}").format(exc))
            return
        if outcome.pruned:
            self._append("\n" + tr("Already in QGIS, removed from the folder: {}").format(", ".join(outcome.pruned)))
        self._done(True, tr("Installed {}. Restart QGIS to use them.").format(outcome.summary()))

    def _done(self, ok: bool, text: str) -> None:
        from .installer import discard

        if not ok and self.plan is not None:
            discard(self.plan)
        self.state = "done" if ok else ("cancelled" if self.state == "cancelling" else "failed")
        self.outcome_text = text
        self.progress.setVisible(False)
        colour = "#1a7f37" if ok else "#b00020"
        heading = "" if ok else tr("Installation failed:") + " "
        self.result.setText(f'<span style="color:{colour}"><b>{heading}</b>{_html(text)}</span>')
        self.result.setVisible(True)
        self.cancel.setText(tr("Close"))
        self.install.setEnabled(not ok and self.plan is not None)
        self.wheels.setEnabled(not ok)
        self.installFinished.emit(ok, text)

    def cancel_or_close(self) -> None:
        if self.state == "running" and self.process is not None:
            self.state = "cancelling"
            self.process.kill()
            self.process.waitForFinished(10000)
            if self.state == "cancelling":  # finished was not delivered while waiting
                self._done(False, tr("Cancelled; nothing was changed"))
            return
        self.close()


def _html(text: str) -> str:
    import html

    return html.escape(text).replace("\n", "<br>")


def _redacted(command: list[str]) -> list[str]:
    """The command as shown: a proxy password is not printed."""
    import re

    return [re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", arg) for arg in command]
