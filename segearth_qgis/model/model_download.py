"""The model panel's Download (and the first-run guide's): where the model goes, through which hub and proxy, the
task and its progress, Cancel, and what the user reads when it stops. On success the folder becomes the model
folder, whose first load then starts (first_load_stage.py shows it)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from qgis.core import QgsApplication

from ..common import settings
from ..common.translation import tr
from ..common.units import size_text
from ..packages.proxy_settings import download_proxy
from .download_task import DownloadRequest, ModelDownloadTask
from .model_manager import ModelInfo

log = logging.getLogger(__name__)


def default_models_folder() -> Path:
    return Path(QgsApplication.qgisSettingsDirPath()) / "segearth_models"


def models_folder() -> Path:
    """Where Download puts models: the setting, else segearth_models in the QGIS profile."""
    return Path(settings.get("models_folder") or default_models_folder()).expanduser()


def destination(repo_id: str) -> Path:
    return models_folder() / repo_id.replace("/", "--")


def hub_endpoint() -> str:
    """The hub-address setting (https:// added to a bare host name such as hf-mirror.com), else HF_ENDPOINT, else
    the Hugging Face hub."""
    from segearth_engine.api import HubAccess

    typed = (settings.get("hub_endpoint") or "").strip()
    if typed and "://" not in typed:
        typed = f"https://{typed}"
    return typed or HubAccess.from_environment().endpoint


def download_request(repo_id: str, revision: str) -> DownloadRequest:
    """The frozen request: folder, hub address, QGIS's proxy (with its credentials) and HF_TOKEN if set."""
    import os

    endpoint = hub_endpoint()
    proxy, no_proxy = download_proxy(url_scheme=endpoint.split(":", 1)[0])
    return DownloadRequest(repo_id, revision, str(destination(repo_id)), endpoint, proxy, no_proxy,
                           os.environ.get("HF_TOKEN") or None)


class ModelDownloader:
    """One download at a time; its progress goes to the model panel, the first-run guide and QGIS's task manager."""

    def __init__(self, panel, guide, message: Callable[[str, str], None]) -> None:
        self.panel, self.guide, self.message = panel, guide, message
        self.task: ModelDownloadTask | None = None
        options = panel.download_options
        options.set_values(str(models_folder()), settings.get("hub_endpoint") or "")
        options.folderChanged.connect(self._folder_changed)
        options.endpointChanged.connect(lambda value: settings.put("hub_endpoint", value))
        panel.progress.cancelRequested.connect(self.cancel)
        guide.downloadRequested.connect(lambda: self.start(*panel.download_choice()))
        guide.cancelRequested.connect(self.cancel)
        guide.chooseFolderRequested.connect(self.choose_folder)
        panel.repo.currentIndexChanged.connect(lambda *_: self.refresh(panel.info))  # the guide names that model

    # -- starting and stopping -------------------------------------------------------------------------------------
    def start(self, repo_id: str, revision: str) -> ModelDownloadTask | None:
        """Start downloading `repo_id` at `revision` (empty: the release's pinned one); the task, or None and why."""
        if self.task is not None:
            self.message(tr("A download is already running"), "warning")
            return None
        if not repo_id:
            self.message(tr("Type a Hugging Face repo id first"), "warning")
            return None
        try:
            request = download_request(repo_id, revision)
        except Exception as exc:  # noqa: BLE001 - an engine that cannot be imported, a hub address that is no URL
            self.message(tr("The download cannot start: {}").format(exc), "critical")
            return None
        task = ModelDownloadTask(request, self._done)
        task.progressed.connect(self._progress)
        self.task = task
        self.panel.set_downloading(True)
        self.panel.set_status_text(tr("Downloading {} into {}").format(repo_id, request.dest))
        QgsApplication.taskManager().addTask(task)
        return task

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            for view in (self.panel.progress, self.guide.progress):
                view.cancelling()

    # -- progress and outcome ---------------------------------------------------------------------------------------
    def _progress(self, progress) -> None:
        if self.task is None:
            return
        self.panel.progress.show_download(progress, self.task.request.endpoint)
        if self.guide.state in ("needs_model", "stopped", "downloading"):
            self.guide.show_downloading(progress, self.task.request.endpoint)

    def _done(self, task: ModelDownloadTask) -> None:
        self.task = None
        if self.panel is None:
            return
        self.panel.set_downloading(False)
        self.panel.progress.finish()
        fetched = _fetched(task)
        if task.folder:
            self.message(tr("Model downloaded and verified: {}").format(task.folder), "success")
            self.guide.show_verified(task.last.total_bytes if task.last else 0, task.folder)
            self.panel.set_model_dir(task.folder)  # its first load starts (first_load_stage.py shows it)
            return
        if task.cancelled:
            title = tr("Download cancelled")
            text = tr("{} fetched so far are kept in {}: Download goes on from there.").format(
                size_text(fetched), task.request.dest)
        else:
            title = tr("Download failed")
            text = task.error or tr("unknown error")
            if fetched:
                kept = tr("({} fetched so far are kept: Download goes on from there.)")
                text += " " + kept.format(size_text(fetched))
            self.message(tr("Download failed: {}").format(task.error), "critical")
        self.panel.refresh()
        self.panel.set_status_text(f"{title}: {text}")
        self.guide.show_stopped(title, text, fetched)

    def refresh(self, info: ModelInfo) -> None:
        """After every check of the model folder: the guide asks for a model while none is usable."""
        if self.task is not None or self.guide.state in ("preparing", "verified"):
            return
        if info.state in ("ok", "test"):
            if self.guide.state in ("needs_model", "stopped"):
                self.guide.hide_guide()
        elif self.guide.state != "stopped":  # a stopped download keeps saying why until the next Download
            self.show_needs_model(self.panel.download_choice()[0])

    def show_needs_model(self, repo_id: str) -> None:
        try:
            from segearth_engine import api

            release = api.RELEASED_MODELS.get(repo_id)
            size = release.download_bytes if release else 0
            first_load = sum(n for _, n in api.released_first_load(repo_id)) if release else 0
            fetched = api.partial_bytes(destination(repo_id))
        except ImportError:
            size = first_load = fetched = 0
        self.guide.show_needs_model(repo_id.split("/")[-1], size, first_load, str(destination(repo_id)), fetched)

    def choose_folder(self) -> None:
        """The guide's "Choose folder…": the same as the panel's folder field."""
        from qtpy.QtWidgets import QFileDialog

        path = QFileDialog.getExistingDirectory(self.panel, tr("Model folder"), str(models_folder()))
        if path:
            self.panel.set_model_dir(path)

    def _folder_changed(self, path: str) -> None:
        settings.put("models_folder", path)
        if self.guide.state == "needs_model":
            self.show_needs_model(self.panel.download_choice()[0])

    def close(self) -> None:
        if self.task is not None:
            self.task.on_done = None
            self.task.cancel()
        self.panel = None


def _fetched(task: ModelDownloadTask) -> int:
    try:
        from segearth_engine.api import partial_bytes
    except ImportError:
        return 0
    return partial_bytes(Path(task.request.dest))
