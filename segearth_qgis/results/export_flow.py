"""The dock's Export…: pick a file, check what it would destroy, ask once, then write it in a background task and say
how it went (the plugin's own message, cause first; never a Python error dialog)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qtpy.QtWidgets import QAction, QFileDialog, QMessageBox

from ..common.translation import tr
from .export_plan import ExportError, ExportPlan, done_message, overwrite_question, plan_export
from .export_task import ExportTask, save_style, start_export
from .layers import is_result_layer


def _vector_layer_type():
    try:
        from qgis.core import QgsMapLayerType

        return QgsMapLayerType.VectorLayer
    except ImportError:  # QGIS 4: Qgis.LayerType
        from qgis.core import Qgis

        return Qgis.LayerType.Vector


class Exporter:
    """Export of result layers for the plugin: `message(text, level)` shows its outcome in the message bar."""

    def __init__(self, iface, message: Callable[[str, str], None]) -> None:
        self.iface, self.message = iface, message
        self.tasks: list[ExportTask] = []  # Python references while QGIS runs them
        self.action: QAction | None = None

    def add_menu_action(self, trigger: Callable[[], object]) -> QAction:
        """"Export SegEarth result…" in the layer menu of the result layers (offer_on adds it to each one)."""
        self.action = QAction(tr("Export SegEarth result…"), self.iface.mainWindow())
        self.action.triggered.connect(trigger)
        self.iface.addCustomActionForLayerType(self.action, "", _vector_layer_type(), False)
        return self.action

    def offer_on(self, layer) -> None:
        self.iface.addCustomActionForLayer(self.action, layer)

    def remove_menu_action(self) -> None:
        if self.action is not None:
            self.iface.removeCustomActionForLayerType(self.action)
            self.action = None

    def export_selected(self, layer) -> ExportTask | None:
        """Ask for a file name and export `layer` (the selected or last result layer) there."""
        if not is_result_layer(layer):
            self.message(tr("Select a SegEarth result layer to export"), "warning")
            return None
        shapefile, geopackage = tr("Shapefile (*.shp)"), tr("GeoPackage (*.gpkg)")
        # the file dialog's own overwrite question is off: export() asks once, also for a typed name without suffix
        path, chosen = QFileDialog.getSaveFileName(self.iface.mainWindow(), tr("Export SegEarth result"), "",
                                                   f"{shapefile};;{geopackage}", shapefile,
                                                   QFileDialog.Option.DontConfirmOverwrite)
        if not path or not is_result_layer(layer):  # the layer may have gone while the dialog was open
            return None
        if not Path(path).suffix:
            path += ".gpkg" if chosen == geopackage else ".shp"
        return self.export(layer, path, confirm=self.confirm)

    def confirm(self, plan: ExportPlan) -> bool:
        answer = QMessageBox.question(self.iface.mainWindow(), tr("Export SegEarth result"), overwrite_question(plan),
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def export(self, layer, path: str, confirm: Callable[[ExportPlan], bool] | None = None) -> ExportTask | None:
        """Start exporting `layer` to `path` (asking `confirm(plan)` when the file exists); the task, or None with
        the reason in the message bar."""
        if not is_result_layer(layer):
            self.message(tr("Select a SegEarth result layer to export"), "warning")
            return None
        try:
            plan = plan_export(layer, path)
        except ExportError as exc:
            self.message(str(exc), "critical")
            return None
        if plan.existed and not (confirm and confirm(plan)):
            self.message(tr("{} exists; nothing was written").format(path), "warning")
            return None
        task = start_export(layer, plan, self._done)
        self.tasks.append(task)
        self.message(tr("Exporting to {}…").format(plan.path), "info")
        return task

    def _done(self, task: ExportTask) -> None:  # GUI thread
        if task in self.tasks:
            self.tasks.remove(task)
        plan = task.job.plan
        if task.cancelled:
            kept = tr(" The existing file is unchanged.") if plan.existed else ""
            self.message(tr("Export cancelled: nothing was written.") + kept, "warning")
        elif task.error:
            self.message(task.error, "critical")
        else:
            save_style(task.job.renderer, plan)
            self.message(done_message(plan), "success")

    def cancel_all(self) -> None:
        for task in self.tasks:
            task.cancel()
