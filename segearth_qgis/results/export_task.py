"""Export of a result layer in a background task (progress, Cancel), written and published by the engine's writer.

Why: thousands of polygons froze QGIS for seconds when written on the GUI thread, and a write error surfaced as a
Python error dialog. Here the layer's features are read through a QgsVectorLayerFeatureSource (made on the GUI
thread, safe to read from a worker), turned into the engine's (geometry, attributes) pairs and handed to
segearth_engine.api.write_vector: staged beside the target, checked, then published in one step, so a failure, a
full disk or a Cancel leaves the old file as it was. A GeoPackage keeps its other layers (keep_layers).

A kill of QGIS mid-write leaves the stage folder of a dead process; the folders of exports in flight are remembered
in the settings, and the next start of the plugin clears what dead exports left there (api.clean_stale_stages).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qgis.core import QgsApplication, QgsSettings, QgsTask, QgsVectorLayer, QgsVectorLayerFeatureSource

from ..common import settings
from ..common.fault_messages import write_failure
from ..common.translation import tr
from .export_plan import SOURCE_PROPERTY, ExportPlan, protected_files
from .layers import DETAILS_PROPERTY, PROPERTY, TARGETS_PROPERTY

log = logging.getLogger(__name__)
FOLDERS_KEY = "export_folders"  # folders of exports in flight: a kill leaves their stages, the next start clears them


def _typed_example(field) -> Any:
    """An example value of the field's type, so that the engine's writer gives the file the layer's field types."""
    name = field.typeName().lower()
    if "int" in name:
        return 0
    if name in ("real", "double", "float") or "double" in name:
        return 0.0
    return ""


class ExportJob:
    """What a write needs, taken from the layer on the GUI thread; `run()` may then go on in a worker."""

    def __init__(self, layer: QgsVectorLayer, plan: ExportPlan) -> None:
        from ..common.crs import crs_wkt

        self.plan = plan
        self.source = QgsVectorLayerFeatureSource(layer)
        self.count = max(layer.featureCount(), 1)
        self.names = layer.fields().names()
        self.base = {field.name(): _typed_example(field) for field in layer.fields()}
        question = layer.customProperty(PROPERTY)
        if question is not None and "question" in self.base:
            self.base["question"] = str(question)
        details = layer.customProperty(DETAILS_PROPERTY)
        self.details = json.loads(details) if details else None
        self.crs_wkt = crs_wkt(layer.crs())
        source = layer.customProperty(SOURCE_PROPERTY)
        self.inputs = [str(p) for p in protected_files(extra={str(source): ""} if source else None)]
        targets = layer.customProperty(TARGETS_PROPERTY) is not None  # per-target style: saved with the file
        self.renderer = layer.renderer().clone() if targets and layer.renderer() is not None else None

    def features(self, progress: Callable[[float], None], is_cancelled: Callable[[], bool]) -> list:
        """The layer's features as the engine's (shapely geometry, attributes) pairs; NULL attributes become None."""
        from shapely import wkb

        from segearth_engine.api import Cancelled

        out = []
        for done, feature in enumerate(self.source.getFeatures()):
            if done % 256 == 0:
                if is_cancelled():
                    raise Cancelled()
                progress(done / self.count)
            geometry = feature.geometry()
            if geometry.isNull():
                continue
            values = [None if value is None or (hasattr(value, "isNull") and value.isNull()) else value
                      for value in feature.attributes()]
            out.append((wkb.loads(bytes(geometry.asWkb())), dict(zip(self.names, values, strict=True))))
        return out

    def run(self, progress: Callable[[float], None] = lambda _f: None,
            is_cancelled: Callable[[], bool] = lambda: False) -> str:
        """Write the file (reading the features: the first 40 %); raises the engine's errors, Cancelled included."""
        from segearth_engine.api import write_vector

        features = self.features(lambda f: progress(0.4 * f), is_cancelled)
        plan = self.plan
        write_vector(plan.path, features, self.crs_wkt, base_attrs=self.base, overwrite=plan.existed,
                     layer=plan.layer_name, details=self.details, inputs=self.inputs, keep_layers=True,
                     progress=lambda f: progress(0.4 + 0.6 * f), is_cancelled=is_cancelled)
        return plan.path


class ExportTask(QgsTask):
    """One export; `on_done(task)` on the GUI thread with `.written`, `.error` (the user's message) or `.cancelled`."""

    def __init__(self, job: ExportJob, on_done: Callable[[ExportTask], None]) -> None:
        super().__init__(tr("SegEarth: exporting to {}").format(Path(job.plan.path).name), QgsTask.Flag.CanCancel)
        self.job, self.on_done = job, on_done
        self.written: str | None = None
        self.error: str | None = None
        self.cancelled = False

    def run(self) -> bool:  # worker thread
        from segearth_engine.api import Cancelled, OutputError, SegEarthError

        try:
            self.written = self.job.run(lambda f: self.setProgress(100.0 * f), self.isCanceled)
            return True
        except Cancelled:
            self.cancelled = True
            return True  # a Cancel is no failure: QGIS must not say "Task failed"
        except (OutputError, SegEarthError) as exc:
            self.error = write_failure(self.job.plan.path, exc, self.job.plan.existed)
        except Exception as exc:  # noqa: BLE001 - a bug or an odd GDAL failure: the plugin's message, logged
            log.exception("SegEarth export failed")
            self.error = write_failure(self.job.plan.path, exc, self.job.plan.existed)
        return False

    def finished(self, ok: bool) -> None:  # GUI thread
        if not ok and self.error is None:
            self.cancelled = True  # terminated from the task manager
        forget_folder(Path(self.job.plan.path).parent)
        self.on_done(self)


def start_export(layer: QgsVectorLayer, plan: ExportPlan, on_done: Callable[[ExportTask], None]) -> ExportTask:
    """Start the background export of `layer` by `plan`; the folder is remembered until the task ends."""
    task = ExportTask(ExportJob(layer, plan), on_done)
    remember_folder(Path(plan.path).parent)
    QgsApplication.taskManager().addTask(task)
    return task


def _folders() -> list[str]:
    return [str(f) for f in settings.get(FOLDERS_KEY) or [] if f]


def _store(folders: list[str]) -> None:
    settings.put(FOLDERS_KEY, folders)
    QgsSettings().sync()  # on disk now: a kill must not lose it


def remember_folder(folder: Path) -> None:
    _store([*_folders(), str(folder)])  # once per export in flight


def forget_folder(folder: Path) -> None:
    folders = _folders()
    if str(folder) in folders:
        folders.remove(str(folder))
        _store(folders)


def clean_interrupted_exports() -> list[str]:
    """At start-up: remove what exports of a dead QGIS left in their folders (stages of dead processes); returns the
    stage folders handled."""
    folders = _folders()
    if not folders:
        return []
    try:
        from segearth_engine.api import clean_stale_stages
    except ImportError:
        return []
    handled = [str(stage) for folder in dict.fromkeys(folders) for stage in clean_stale_stages(Path(folder))]
    _store([])
    return handled


def save_style(renderer, plan: ExportPlan) -> None:
    """A multi-target layer's per-target style (`renderer`, cloned when the export started; None: nothing to save)
    saved with its export: a .qml beside a Shapefile, the default style inside a GeoPackage, so that QGIS opens it
    styled as the result layer was. GUI thread, after the publish; a failure loses no data, so it is only logged."""
    if renderer is None:
        return
    target = Path(plan.path)
    written = QgsVectorLayer(f"{target}|layername={plan.layer_name}" if plan.driver == "GPKG" else str(target),
                             "export", "ogr")
    written.setRenderer(renderer)
    if plan.driver == "ESRI Shapefile":
        message, ok = written.saveNamedStyle(str(target.with_suffix(".qml")))
    else:
        message = written.saveStyleToDatabase(plan.layer_name, tr("SegEarth targets"), True, "")
        ok = not message
    if not ok:
        log.warning("the style of %s was not saved: %s", target, message)
