"""Result layers (CRS, fields, style, metadata, group) and export to Shapefile/GeoPackage read back by QGIS."""

from __future__ import annotations

import pytest
from qgis.core import QgsCoordinateReferenceSystem, QgsProject, QgsVectorLayer
from shapely.geometry import MultiPolygon, Polygon

from segearth_qgis.results.layers import GROUP_NAME, add_result_layer, build_result_layer, is_result_layer

QUESTION = "où un petit avion peut-il atterrir ? 飞机"


def features():
    square = Polygon([(500100, 4599700), (500200, 4599700), (500200, 4599800), (500100, 4599800)])
    two = MultiPolygon([Polygon([(500000, 4599600), (500010, 4599600), (500010, 4599610)]),
                        Polygon([(500020, 4599600), (500030, 4599600), (500030, 4599610)])])
    attrs = {"question": QUESTION, "model": "tiny", "mode": "view", "area_m2": 10000.0, "mean_prob": 0.75}
    return [(square, attrs), (two, dict(attrs, area_m2=100.0, mean_prob=0.5))]


def make_layer():
    crs = QgsCoordinateReferenceSystem("EPSG:32633")
    return build_result_layer(features(), QUESTION, crs, {"model": "tiny", "revision": "abc123"})


def test_result_layer_fields_crs_style_metadata_group(project):
    layer = add_result_layer(make_layer())
    assert layer.isValid() and is_result_layer(layer)
    assert layer.crs().authid() == "EPSG:32633"
    assert layer.featureCount() == 2
    assert layer.fields().names() == ["question", "model", "mode", "area_m2", "mean_prob"]
    first = next(layer.getFeatures())
    assert first["question"] == QUESTION and first["area_m2"] == 10000.0
    assert abs(first.geometry().area() - 10000.0) < 1e-6
    assert layer.renderer().symbol().color().alpha() < 255  # semi-transparent fill
    metadata = layer.metadata()
    assert QUESTION in metadata.abstract() and "abc123" in metadata.abstract()
    assert "abc123" in metadata.keywords()["segearth"]
    group = QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME)
    assert group is not None and group.findLayer(layer.id()) is not None


@pytest.mark.parametrize("suffix", [".shp", ".gpkg"])
def test_export_reads_back(plugin, tmp_path, suffix, exported):
    layer = add_result_layer(make_layer())
    path = exported(plugin, layer, tmp_path / f"answer{suffix}")
    back = QgsVectorLayer(path, "back", "ogr")
    assert back.isValid() and back.featureCount() == 2
    assert back.crs().authid() == "EPSG:32633"
    assert next(back.getFeatures())["question"] == QUESTION  # UTF-8 survives


def test_export_asks_before_overwriting(plugin, tmp_path, qgis_iface, exported):
    from qgis.core import Qgis

    layer = add_result_layer(make_layer())
    path = str(tmp_path / "answer.shp")
    assert exported(plugin, layer, path) == path
    asked = []
    assert plugin.export(layer, path, confirm=lambda plan: asked.append(plan.path) or False) is None
    assert asked == [path]
    assert exported(plugin, layer, path, confirm=lambda plan: True) == path
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any("nothing was written" in m for m in warnings)


class DialogDriver:
    """Answers the modal dialogs the plugin opens (file dialog, question box) from a timer, like a user would.
    A dialog still open a second after its answer is rejected and reported, so a test can fail but never hang."""

    def __init__(self, answers) -> None:
        from qtpy.QtCore import QTimer

        self.answers = list(answers)
        self.seen: list[str] = []
        self.errors: list[str] = []
        self._last = None
        self._stuck = 0
        self.timer = QTimer()
        self.timer.timeout.connect(self._poll)
        self.timer.start(50)

    def _poll(self) -> None:
        from qtpy.QtWidgets import QApplication

        dialog = QApplication.activeModalWidget()
        if dialog is None:
            if not self.answers:
                self.timer.stop()
            return
        if dialog is self._last:
            self._stuck += 1
            if self._stuck > 20:
                self.errors.append(f"{type(dialog).__name__} stayed open after its answer")
                self._close_all()
            return
        self._last, self._stuck = dialog, 0
        self.seen.append(type(dialog).__name__)
        if not self.answers:
            self.errors.append(f"unexpected {type(dialog).__name__}")
            dialog.reject()
            return
        try:
            self.answers.pop(0)(dialog)
        except Exception as exc:  # noqa: BLE001 - an exception escaping a Qt slot would abort the test process
            self.errors.append(repr(exc))
            dialog.reject()


    @staticmethod
    def _close_all() -> None:
        """Reject every visible dialog, nested ones first (a dialog's own question box blocks its parent)."""
        from qtpy.QtWidgets import QApplication, QDialog

        dialogs = [w for top in QApplication.topLevelWidgets() for w in [top, *top.findChildren(QDialog)]
                   if isinstance(w, QDialog) and w.isVisible()]
        for dialog in reversed(dialogs):
            dialog.reject()


def save_as(name: str, filter_index: int = 0):
    """Pick a file type, type a file name and press Save."""
    def answer(dialog) -> None:
        from qtpy.QtWidgets import QDialogButtonBox, QLineEdit

        dialog.selectNameFilter(dialog.nameFilters()[filter_index])
        dialog.findChild(QLineEdit, "fileNameEdit").setText(name)
        later(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click)

    return answer


def press(button):
    return lambda box: later(box.button(button).click)


def later(click) -> None:
    """Click from a fresh event: a click may open a nested modal dialog, and the driver's timer cannot fire again
    while its own slot is still running."""
    from qtpy.QtCore import QTimer

    QTimer.singleShot(0, click)


def test_export_dialog_asks_once_before_overwriting(plugin, tmp_path, qgis_iface, wait_task):
    from qtpy.QtWidgets import QMessageBox

    layer = add_result_layer(make_layer())
    qgis_iface.setActiveLayer(layer)
    target = tmp_path / "answer.shp"
    driver = DialogDriver([save_as(str(tmp_path / "answer"))])  # no suffix: the Shapefile filter adds .shp
    wait_task(plugin.export_selected())
    assert driver.seen == ["QFileDialog"] and not driver.errors, driver.errors
    assert target.is_file()
    stamp = target.stat().st_mtime_ns

    driver = DialogDriver([save_as(str(target)), press(QMessageBox.StandardButton.No)])
    assert plugin.export_selected() is None
    assert driver.seen == ["QFileDialog", "QMessageBox"] and not driver.errors  # one question: ours
    assert target.stat().st_mtime_ns == stamp  # declined: untouched

    driver = DialogDriver([save_as(str(target)), press(QMessageBox.StandardButton.Yes)])
    wait_task(plugin.export_selected())
    assert driver.seen == ["QFileDialog", "QMessageBox"] and not driver.errors
    back = QgsVectorLayer(str(target), "back", "ogr")
    assert back.isValid() and back.featureCount() == 2

    driver = DialogDriver([save_as(str(tmp_path / "answer"), filter_index=1)])  # GeoPackage filter adds .gpkg
    wait_task(plugin.export_selected())
    assert driver.seen == ["QFileDialog"] and not driver.errors
    assert QgsVectorLayer(str(tmp_path / "answer.gpkg"), "g", "ogr").featureCount() == 2


def test_multi_target_layer_has_a_category_per_target_even_without_polygons(project):
    from qgis.core import QgsCategorizedSymbolRenderer, QgsSingleSymbolRenderer

    targets = ["the pier", "storage tanks", "storage tanks"]  # the last target's mask came out empty
    feats = [(geometry, dict(attrs, target=targets[i], target_idx=i)) for i, (geometry, attrs) in enumerate(features())]
    layer = build_result_layer(feats, QUESTION, QgsCoordinateReferenceSystem("EPSG:32633"), {}, targets)
    renderer = layer.renderer()
    assert isinstance(renderer, QgsCategorizedSymbolRenderer) and renderer.classAttribute() == "target_idx"
    assert [(c.value(), c.label()) for c in renderer.categories()] == [
        (0, "the pier"), (1, "storage tanks [2]"), (2, "storage tanks [3]")]  # repeated phrases are numbered
    assert len({c.symbol().color().name() for c in renderer.categories()}) == 3
    assert {(f["target"], f["target_idx"]) for f in layer.getFeatures()} == {("the pier", 0), ("storage tanks", 1)}

    empty = build_result_layer([], QUESTION, QgsCoordinateReferenceSystem("EPSG:32633"), {}, [])
    assert empty.fields().names() == ["question", "model", "mode", "area_m2", "mean_prob", "target", "target_idx"]
    assert isinstance(make_layer().renderer(), QgsSingleSymbolRenderer)  # SegEarth-R1 keeps its single style


def test_answer_text_and_legend_labels():
    from segearth_qgis.results.answers import format_answer, target_labels

    assert format_answer("runway[SEG] and taxiways[SEG] and") == "runway [1] and taxiways [2] and"
    assert format_answer("There is no pier here.") == "There is no pier here."
    assert format_answer("[SEG]") == "[1]"
    assert target_labels(["a", "b", "a"]) == ["a [1]", "b", "a [3]"]
    assert target_labels([]) == []


def test_shapefile_export_of_a_long_chinese_question_goes_through_the_engine_writer(plugin, tmp_path, exported):
    """92 Chinese characters are 276 UTF-8 bytes, more than a Shapefile text field's 254: the field is cut on a
    character boundary (no replacement characters) and the whole question is in the sidecar, as the CLI writes it."""
    import json

    from segearth_engine.api import SIDECAR_SUFFIX

    question = ("哪里可以让一架小型飞机安全降落并且远离建筑物和树木以及高压电线和道路上的车辆" * 3)[:92]
    assert len(question) == 92 and len(question.encode("utf-8")) > 254
    crs = QgsCoordinateReferenceSystem("EPSG:32633")
    pieces = [(geometry, dict(attrs, question=question)) for geometry, attrs in features()]
    layer = add_result_layer(build_result_layer(pieces, question, crs, {"model": "tiny", "family": "SegEarth-R1"}))
    path = exported(plugin, layer, tmp_path / "长问题.shp")
    back = QgsVectorLayer(path, "back", "ogr")
    assert back.isValid() and back.featureCount() == 2
    stored = next(back.getFeatures())["question"]
    assert "\ufffd" not in stored and stored.endswith("…")
    assert question.startswith(stored[:-1]) and len(stored.encode("utf-8")) <= 254
    sidecar = json.loads((tmp_path / f"长问题{SIDECAR_SUFFIX}").read_text(encoding="utf-8"))
    assert sidecar["question"] == question and sidecar["model"] == "tiny" and sidecar["family"] == "SegEarth-R1"
    assert sidecar["fields"] == ["question", "model", "mode", "area_m2", "mean_prob"]
