"""The first load of a model as a stage of its own: the ONNX export and the language model's preparation, with
progress (bytes written of what the config says they will be: engine models/first_load.py), the step, the time
spent, and Cancel, in the model panel, the first-run guide and QGIS's task manager.

It follows any background load (model_loader.ModelLoadTask) that starts exporting: after a download, and also when
a folder without graphs is chosen. The files are looked at on the GUI thread every half second (a few stat calls).
"""

from __future__ import annotations

import time
from pathlib import Path

from qgis.core import QgsApplication
from qtpy.QtCore import QTimer

from ..common.translation import tr
from ..common.units import duration_text, size_text

POLL_MS = 500


def written(folder: Path) -> tuple[int, bool, bool, int]:
    """(graph bytes so far, encoder done, decoder done, prepared-LLM bytes so far) in the graphs folder: final files,
    and what the export and the preparation are writing (temporary folders and files)."""
    graphs, llm, encoder, decoder = 0, 0, False, False
    if not folder.is_dir():
        return 0, False, False, 0
    for path in folder.iterdir():
        try:
            if path.is_dir() and path.name.startswith("tmp"):
                graphs += sum(p.stat().st_size for p in path.glob("*.onnx"))
            elif path.suffix == ".onnx" and ".fp16" not in path.name:
                graphs += path.stat().st_size
                encoder |= path.name == "vision_encoder.onnx"
                decoder |= path.name == "mask_decoder.onnx"
            elif path.name.startswith("llm_") and (path.suffix == ".tmp" or path.suffix == ".safetensors"):
                llm += path.stat().st_size
        except OSError:  # renamed or removed while looked at
            continue
    return graphs, encoder, decoder, llm


def expected_bytes(model_dir: str) -> tuple[int, int]:
    """(graph bytes, prepared-LLM bytes) that the first load of `model_dir` writes, from its config."""
    from segearth_engine import api

    checkpoint = sum(p.stat().st_size for p in Path(model_dir).glob("*.safetensors"))
    parts = dict(api.first_load_parts(model_dir, checkpoint))
    return parts.get("ONNX graphs", 0), parts.get("the prepared language model", 0)


class FirstLoadStage:
    """Shows the export stage of whichever background load exports; on success the guide says the model is ready."""

    def __init__(self, panel, guide, cancel) -> None:
        self.panel, self.guide, self.cancel = panel, guide, cancel
        self.task = None
        self.folder: Path | None = None
        self.expected = (0, 0)
        self.started = 0.0
        self.timer = QTimer()
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        for view in (panel.progress, guide.progress):
            view.cancelRequested.connect(self._cancel)
        QgsApplication.taskManager().taskAdded.connect(self._task_added)

    def _task_added(self, task_id: int) -> None:
        from .model_loader import ModelLoadTask

        task = QgsApplication.taskManager().task(task_id)
        if isinstance(task, ModelLoadTask):
            task.exportStarted.connect(lambda folder, task=task: self.begin(task, folder))
            task.taskCompleted.connect(lambda task=task: self.end(task))
            task.taskTerminated.connect(lambda task=task: self.end(task))
            if task.export_folder:  # it began before this could listen
                self.begin(task, task.export_folder)

    def begin(self, task, folder: str) -> None:
        """A load started exporting into `folder`."""
        if self.panel is None or not folder or task is self.task:
            return
        self.task, self.folder, self.started = task, Path(folder), time.monotonic()
        try:
            self.expected = expected_bytes(task.model_dir)
        except Exception:  # noqa: BLE001 - no estimate: the stage still shows its step and time
            self.expected = (0, 0)
        self.timer.start()
        self.poll()

    def poll(self) -> None:
        if self.task is None or self.folder is None or self.panel is None:
            return
        graphs, encoder, decoder, llm = written(self.folder)
        total = sum(self.expected)
        fraction = min(0.99, (graphs + llm) / total) if total and graphs + llm else None  # None: a busy bar
        step = (tr("exporting the image encoder to ONNX (step 1 of 3)") if not encoder else
                tr("exporting the mask decoder to ONNX (step 2 of 3)") if not decoder else
                tr("preparing the language model (step 3 of 3)"))
        text = tr("Preparing the model (once): {} · {}").format(step, duration_text(time.monotonic() - self.started))
        if total and graphs + llm:
            text += " · " + tr("{} of about {} written").format(size_text(graphs + llm), size_text(total))
        elif total:
            text += " · " + tr("about {} to write").format(size_text(total))
        self.panel.progress.show_stage(text, fraction)
        self.guide.show_preparing(text, fraction)
        if fraction is not None:
            self.task.setProgress(100.0 * fraction)  # QGIS's task manager

    def _cancel(self) -> None:
        if self.task is not None:
            self.cancel()  # the preloader's cancel: the export child is killed at once
            for view in (self.panel.progress, self.guide.progress):
                view.cancelling()

    def end(self, task) -> None:
        """A load ended: the end of the export stage, or of the load that follows a verified download. The stage
        ends with its load even when the folder changed meanwhile (its task object is deleted after this)."""
        if self.panel is None:
            return
        if task is self.task:
            self.timer.stop()
            self.task = None
            self.panel.progress.finish()
        elif self.guide.state != "verified":
            return
        if task.model_dir != self.panel.model_dir():  # a load of an earlier folder: nothing to say about it
            return
        if task.error:
            self.guide.show_note(tr("The model could not be prepared"), task.error)
        elif task.isCanceled() or not task.device:
            self.guide.show_note(tr("Preparation cancelled"), tr("The model will be prepared at its next load (a "
                                                                 "question, or choosing the folder again)."))
        else:
            self.guide.show_ready(self.panel.info.state == "test")

    def close(self) -> None:
        self.timer.stop()
        try:
            QgsApplication.taskManager().taskAdded.disconnect(self._task_added)
        except (TypeError, RuntimeError):
            pass
        self.panel = None
