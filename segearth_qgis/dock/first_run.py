"""The first-run guide at the top of the dock, where a new user looks first: what to do before the first question
(download the model, with its size, or choose a folder that holds it), then the download's progress, the first
load's preparation, and finally that the first question can be asked. Also why Run cannot run yet."""

from __future__ import annotations

from qtpy.QtCore import Signal
from qtpy.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..common.translation import tr
from ..common.units import size_text
from ..model.model_manager import ModelInfo
from .download_view import ProgressView


def run_blocker(info: ModelInfo) -> str | None:
    """Why Run cannot run with the model panel's folder, or None when it can."""
    if info.state in ("ok", "test"):
        return None
    if info.state == "empty":
        return tr("No model yet: download it or choose its folder (top of this panel)")
    return tr("The model folder is not usable: {}").format(info.message)


class FirstRunGuide(QFrame):
    """States: needs a model, downloading, stopped (cancelled or failed: Download resumes), verified (loading for
    the first time), preparing (the first load's export), note (the preparation stopped), ready (until the first
    question or "Got it"). Hidden otherwise."""

    downloadRequested = Signal()  # noqa: N815 - Qt naming
    chooseFolderRequested = Signal()  # noqa: N815
    cancelRequested = Signal()  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SegEarthFirstRun")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#SegEarthFirstRun { background: #eef4fb; border: 1px solid #8fb3dd; border-radius: 4px; }")
        layout = QVBoxLayout(self)
        self.title = QLabel(self)
        self.title.setStyleSheet("font-weight: bold")
        self.title.setWordWrap(True)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        self.progress = ProgressView(self)
        self.progress.cancelRequested.connect(self.cancelRequested.emit)
        layout.addWidget(self.progress)
        buttons = QHBoxLayout()
        self.download = QPushButton(self)
        self.download.setDefault(True)
        self.download.clicked.connect(self.downloadRequested.emit)
        self.choose = QPushButton(tr("Choose folder…"), self)
        self.choose.setToolTip(tr("A folder that already holds a SegEarth model (config.json and *.safetensors)"))
        self.choose.clicked.connect(self.chooseFolderRequested.emit)
        self.dismiss = QPushButton(tr("Got it"), self)
        self.dismiss.clicked.connect(self.hide_guide)
        for button in (self.download, self.choose, self.dismiss):
            button.setMinimumWidth(60)  # long translations must not widen the dock
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.state = "hidden"
        self.asked = False  # a question was asked: "ready for a first question" is no longer news
        self.setVisible(False)

    def _show(self, state: str, title: str, text: str, buttons: tuple[bool, bool, bool]) -> None:
        self.state = state
        self.title.setText(title)
        self.text.setText(text)
        self.text.setVisible(bool(text))
        for button, shown in zip((self.download, self.choose, self.dismiss), buttons, strict=True):
            button.setVisible(shown)
        if state not in ("downloading", "preparing"):
            self.progress.finish()
        self.setVisible(True)

    def show_needs_model(self, name: str, download_bytes: int, first_load_bytes: int, dest: str,
                         fetched: int = 0) -> None:
        size = size_text(download_bytes)
        text = tr("SegEarth answers with the {} model: a download of about {} into {}; its first load then writes "
                  "up to about {} more beside it. Or choose a folder that already holds the model.").format(
            name, size, dest, size_text(first_load_bytes))
        if fetched:
            text += " " + tr("{} of it were fetched before: Download goes on from there.").format(size_text(fetched))
        self.download.setText(tr("Resume download ({} left)").format(size_text(download_bytes - fetched)) if fetched
                              else tr("Download ({})").format(size))
        self._show("needs_model", tr("First, get the model"), text, (True, True, False))

    def show_downloading(self, progress, endpoint: str) -> None:
        if self.state != "downloading":
            self._show("downloading", tr("Downloading the model"), "", (False, False, False))
        self.progress.show_download(progress, endpoint)

    def show_stopped(self, title: str, text: str, fetched: int) -> None:
        self.download.setText(tr("Resume download") if fetched else tr("Download"))
        self._show("stopped", title, text, (True, True, False))

    def show_preparing(self, text: str, fraction: float | None) -> None:
        if self.state != "preparing":
            self._show("preparing", tr("Preparing the model (once)"),
                       tr("The first load exports the model for ONNX Runtime and prepares the language model; later "
                          "loads take seconds."), (False, False, False))
        self.progress.show_stage(text, fraction)

    def show_note(self, title: str, text: str) -> None:
        """Something the user should read (the preparation failed or was cancelled); "Got it" closes it."""
        self._show("note", title, text, (False, False, True))

    def show_verified(self, size: int, folder: str) -> None:
        self._show("verified", tr("Model downloaded and verified"),
                   tr("{} in {}, every file checked (sha256). Loading it for the first time…").format(
                       size_text(size), folder), (False, False, False))

    def show_ready(self, test_model: bool = False) -> None:
        """After the first load; not when a question was asked meanwhile (it waited for that load)."""
        if self.asked:
            self.hide_guide()
            return
        text = tr("Choose a raster layer, type a question (e.g. where could a small plane land?) and press Run.")
        if test_model:
            text += " " + tr("This is a TEST model with random weights: its answers mean nothing.")
        self._show("ready", tr("Ready for a first question"), text, (False, False, True))

    def question_asked(self) -> None:
        self.asked = True
        if self.state == "ready":
            self.hide_guide()

    def hide_guide(self) -> None:
        self.state = "hidden"
        self.progress.finish()
        self.setVisible(False)
