"""Widgets of the model download: where models go and which hub answers (DownloadOptions), and the progress of a
download or of the first load's preparation with its Cancel button (ProgressView, shown in the model panel and in
the first-run guide at the top of the dock)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from qgis.gui import QgsFileWidget
from qtpy.QtCore import QTimer, Signal
from qtpy.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ..common.translation import tr
from ..common.units import duration_text, size_text

STALL_S = 3.0  # no byte for this long: the line says so


def download_text(progress, endpoint: str = "") -> str:
    """One line for a DownloadProgress, in the UI language."""
    amounts = tr("{} of {}").format(size_text(progress.done_bytes), size_text(progress.total_bytes))
    stage = progress.stage
    if stage == "connecting":
        return tr("Connecting to {}…").format(urlsplit(endpoint).netloc or endpoint or tr("the model hub")) + \
            (f" ({progress.note})" if progress.note else "")
    if stage == "checking":
        return tr("Checking what was fetched before: {}").format(amounts)
    if stage == "waiting":  # before the listing came, nothing is known of the size yet
        return tr("Waiting: {} ({} fetched)").format(progress.note, amounts) if progress.total_bytes else \
            tr("Waiting: {}").format(progress.note)
    if stage == "verifying":
        return tr("Verifying {} (sha256)…").format(progress.file)
    if stage == "done":
        return tr("Downloaded and verified: {}").format(size_text(progress.total_bytes))
    text = tr("Downloading {}: {}").format(progress.file, amounts)
    if progress.rate_bps > 0:
        text += f" · {size_text(progress.rate_bps)}/s"
        if progress.eta_s is not None:
            text += " · " + tr("{} left").format(duration_text(progress.eta_s))
    return text


class ProgressView(QWidget):
    """A bar, a line of text and Cancel; hidden while idle. Re-reads its line every second, so that a transfer
    that stalls says so instead of showing its last rate forever."""

    cancelRequested = Signal()  # noqa: N815 - Qt naming

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.cancel = QPushButton(tr("Cancel"), self)
        self.cancel.clicked.connect(self.cancelRequested.emit)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel)
        layout.addLayout(row)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        self._progress = None
        self._endpoint = ""
        self._text = ""
        self._changed_at = 0.0
        self._last_done = -1
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._render)
        self.setVisible(False)

    def show_download(self, progress, endpoint: str = "") -> None:
        if progress.done_bytes != self._last_done:
            self._last_done, self._changed_at = progress.done_bytes, time.monotonic()
        self._progress, self._endpoint = progress, endpoint
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(1000 * progress.fraction))
        self._start()

    def show_stage(self, text: str, fraction: float | None) -> None:
        """A stage without bytes to count (the first load's export): a busy bar when `fraction` is None."""
        self._progress, self._text = None, text
        if fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * max(0.0, min(1.0, fraction))))
        self._start()

    def _start(self) -> None:
        self.cancel.setEnabled(True)
        self.setVisible(True)
        if not self._timer.isActive():
            self._timer.start()
        self._render()

    def _render(self) -> None:
        progress = self._progress
        if progress is None:
            self.label.setText(self._text)
            return
        text = download_text(progress, self._endpoint)
        quiet = time.monotonic() - self._changed_at
        if progress.stage == "downloading" and quiet >= STALL_S:
            text = tr("Downloading {}: {} (no data for {} s)").format(
                progress.file, tr("{} of {}").format(size_text(progress.done_bytes), size_text(progress.total_bytes)),
                int(quiet))
        self.label.setText(text)

    def cancelling(self) -> None:
        self.cancel.setEnabled(False)
        self._progress, self._text = None, tr("Cancelling…")
        self._render()

    def finish(self) -> None:
        self._timer.stop()
        self._progress = None
        self.setVisible(False)


class DownloadOptions(QWidget):
    """Where Download puts models, and the hub's address (a mirror); emits the new values as they are set."""

    folderChanged = Signal(str)  # noqa: N815
    endpointChanged = Signal(str)  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.folder = QgsFileWidget(self)
        self.folder.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
        self.folder.setDialogTitle(tr("Folder for downloaded models"))
        self.folder.setToolTip(tr("Each model goes into a folder of its own here; it needs about 7 GB with what its "
                                  "first load writes"))
        self.folder.fileChanged.connect(lambda path: self.folderChanged.emit(path.strip()))
        form.addRow(tr("Download to"), self.folder)
        self.endpoint = QLineEdit(self)
        self.endpoint.setPlaceholderText("https://huggingface.co")
        self.endpoint.setToolTip(tr("The model hub's address; a mirror such as https://hf-mirror.com where the "
                                    "Hugging Face hub cannot be reached. QGIS's proxy (Settings > Options > Network) "
                                    "is used"))
        self.endpoint.editingFinished.connect(lambda: self.endpointChanged.emit(self.endpoint.text().strip()))
        form.addRow(tr("Hub address"), self.endpoint)

    def set_values(self, folder: str, endpoint: str) -> None:
        self.folder.blockSignals(True)
        self.folder.setFilePath(folder)
        self.folder.blockSignals(False)
        self.endpoint.setText(endpoint)
