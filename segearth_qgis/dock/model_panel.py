"""The dock's model section: folder or hub id + pinned revision, status line, real execution device, diagnostics."""

from __future__ import annotations

from qgis.gui import QgsFileWidget
from qtpy.QtCore import Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ..common.translation import tr
from ..model.model_manager import ModelInfo, inspect_model_dir
from .download_view import DownloadOptions, ProgressView


def released_models() -> dict[str, str]:
    """repo id -> pinned revision, from the engine's release table when the engine is importable."""
    try:
        from segearth_engine.api import RELEASED_MODELS
    except ImportError:
        return {}
    return {repo: model.revision for repo, model in RELEASED_MODELS.items()}


class ModelPanel(QGroupBox):
    """Emits requests; the plugin does the work (downloads and loads run in tasks, never here)."""

    modelDirChanged = Signal(str)  # noqa: N815 - Qt naming
    modelInfoChanged = Signal(object)  # noqa: N815 - ModelInfo of the folder, after every check
    downloadRequested = Signal(str, str)  # noqa: N815
    diagnosticsRequested = Signal()  # noqa: N815
    installRequested = Signal()  # noqa: N815
    lowMemoryChanged = Signal(bool)  # noqa: N815
    warmViewChanged = Signal(bool)  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tr("Model"), parent)
        form = QFormLayout(self)
        self.folder = QgsFileWidget(self)
        self.folder.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
        self.folder.setDialogTitle(tr("Model folder"))
        self.folder.fileChanged.connect(self._folder_changed)
        form.addRow(tr("Folder"), self.folder)

        self.repo = QComboBox(self)
        self.repo.setEditable(True)
        self.revision = QLineEdit(self)
        self.revision.setPlaceholderText(tr("revision (commit)"))
        for repo, revision in released_models().items():
            self.repo.addItem(repo, revision)
        self.repo.currentIndexChanged.connect(self._repo_changed)
        self.download = QPushButton(tr("Download"), self)
        self.download.setToolTip(tr("Download the pinned revision from Hugging Face and check its sha256"))
        self.download.clicked.connect(lambda: self.downloadRequested.emit(*self.download_choice()))
        self.repo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.repo.setMinimumContentsLength(12)
        form.addRow(tr("Repo"), self.repo)
        revision_row = QHBoxLayout()
        revision_row.addWidget(self.revision, 1)
        revision_row.addWidget(self.download)
        form.addRow("", revision_row)
        self.download_options = DownloadOptions(self)  # where Download puts models, which hub (download_view.py)
        form.addRow(self.download_options)
        self.progress = ProgressView(self)  # a download's or the first load's progress, with Cancel
        form.addRow(self.progress)
        self._build_state_rows(form)
        self._repo_changed()
        self.info = inspect_model_dir("")
        self.show_info(self.info)

    def _build_state_rows(self, form: QFormLayout) -> None:
        """Status, device, the low-memory and warm-view options, Diagnostics and Install."""
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        form.addRow(tr("Status"), self.status)
        self.device = QLabel(tr("not loaded"), self)
        self.device.setWordWrap(True)
        form.addRow(tr("Device"), self.device)
        self.low_memory = QCheckBox(tr("Low memory"), self)
        self.low_memory.setToolTip(tr("For 8 GB machines: release the language model between questions and the image "
                                      "encoder after encoding; each question then loads them again (slower)"))
        self.low_memory.toggled.connect(self.lowMemoryChanged.emit)
        form.addRow("", self.low_memory)
        self.warm_view = QCheckBox(tr("Prepare the view while I type"), self)
        self.warm_view.setToolTip(tr("Encode the view a question would use while you type it, so that the answer "
                                     "comes sooner; this uses the processor while you type"))
        self.warm_view.toggled.connect(self.warmViewChanged.emit)
        form.addRow("", self.warm_view)

        buttons = QHBoxLayout()
        self.diagnostics = QPushButton(tr("Diagnostics"), self)
        self.diagnostics.setToolTip(tr("Copy a report of versions, providers and GPU to the clipboard"))
        self.diagnostics.clicked.connect(self.diagnosticsRequested.emit)
        self.install = QPushButton(tr("Install dependencies…"), self)
        self.install.clicked.connect(self.installRequested.emit)
        self.install.setVisible(False)
        for button in (self.diagnostics, self.install):
            button.setMinimumWidth(60)  # long translations must not widen the dock
            buttons.addWidget(button)
        buttons.addStretch(1)
        form.addRow(buttons)

    def _repo_changed(self, *_args) -> None:
        revision = self.repo.currentData()
        if revision:
            self.revision.setText(str(revision))

    def _folder_changed(self, path: str) -> None:
        self.refresh()
        self.modelDirChanged.emit(path)

    def download_choice(self) -> tuple[str, str]:
        """(repo id, revision) that Download fetches."""
        return self.repo.currentText().strip(), self.revision.text().strip()

    def set_downloading(self, running: bool) -> None:
        self.download.setEnabled(not running)

    def model_dir(self) -> str:
        return self.folder.filePath().strip()

    def shows(self, model_dir: str) -> bool:
        """True when the panel shows `model_dir`: only then may a load's or a run's outcome update its status and
        device lines (a late result of an earlier folder must not overwrite a newer choice)."""
        return bool(model_dir) and self.model_dir() == str(model_dir).strip()

    def set_model_dir(self, path: str) -> None:
        if (path or "").strip() != self.model_dir():
            self.folder.setFilePath(path)  # fileChanged: refresh, then modelDirChanged (which may start a load)
        else:
            self.refresh()

    def refresh(self) -> ModelInfo:
        self.info = inspect_model_dir(self.model_dir())
        self.show_info(self.info)
        self.set_device("")
        self.modelInfoChanged.emit(self.info)
        return self.info

    def show_info(self, info: ModelInfo, extra: str = "") -> None:
        colour = {"ok": "#1a7f37", "test": "#b35900"}.get(info.state, "#b00020")
        text = info.message + (f" — {extra}" if extra else "")
        self.status.setText(f'<span style="color:{colour}">{text}</span>')

    def set_loaded(self, model_id: str, info: ModelInfo) -> None:
        """Status after a run: loaded (with the model family), and loudly a test model when the weights are random."""
        extra = tr("test model (random weights)") if info.state == "test" else ""
        name = f"{model_id or info.model_id} · {info.family}"
        self.show_info(ModelInfo(info.state, tr("Loaded: {}").format(name), family=info.family), extra)

    def set_status_text(self, text: str) -> None:
        self.status.setText(text)

    def set_device(self, device: str) -> None:
        """The execution device as reported by the loaded segmenter (ONNX Runtime providers), never guessed."""
        self.device.setText(device or tr("not loaded"))

    def set_missing(self, missing: tuple[str, ...]) -> None:
        self.install.setVisible(bool(missing))
        if missing:
            self.status.setText('<span style="color:#b00020">{}</span>'.format(
                tr("Missing Python packages: {}").format(", ".join(missing))))
