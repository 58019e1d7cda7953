"""Fixtures for the plugin tests: real QGIS (pytest-qgis), the plugin loaded on its stub iface, rasters, tiny model.

Headless: pytest-qgis creates QgsApplication before this file is imported, so offscreen has to be chosen outside it:
run with QT_QPA_PLATFORM=offscreen, or `--qgis_disable_gui`, or `qgis_gui_enabled = false` in the pytest ini.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from qgis.core import QgsProcessingFeedback  # pytest-qgis made QGIS's application before this file is imported

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # for subprocesses started by the tests
os.environ["GDAL_PAM_ENABLED"] = "NO"  # QGIS statistics must not leave .aux.xml files in tests/data


def process_events_until(predicate, timeout: float = 120.0, step: float = 0.02) -> bool:
    """Spin the Qt event loop (QgsTask.finished() is delivered through it) until `predicate()` or timeout."""
    from qgis.core import QgsApplication

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QgsApplication.processEvents()
        if predicate():
            return True
        time.sleep(step)
    QgsApplication.processEvents()
    return bool(predicate())


def wait_for_task(task, timeout: float = 300.0) -> None:
    """Wait until the task manager is done with `task` and its finished() ran on this (GUI) thread."""
    from qgis.core import QgsTask

    done = (QgsTask.TaskStatus.Complete, QgsTask.TaskStatus.Terminated)
    assert process_events_until(lambda: task.status() in done, timeout), f"task still {task.status()}"
    process_events_until(lambda: False, 0.3)  # let queued finished() and signals arrive


@pytest.fixture()
def project(qgis_new_project):
    from qgis.core import QgsProject

    yield QgsProject.instance()
    QgsProject.instance().removeAllMapLayers()
    QgsProject.instance().layerTreeRoot().removeAllChildren()


@pytest.fixture()
def plugin(qgis_iface, project):
    from segearth_qgis import classFactory
    instance = classFactory(qgis_iface)
    instance.initGui()
    yield instance
    task = instance.task  # read once: it becomes None when the task ends meanwhile
    if task is not None:
        task.cancel()
        wait_for_task(task, 120)
    instance.unload()


def add_raster(path: Path, name: str | None = None):
    from qgis.core import QgsProject, QgsRasterLayer

    layer = QgsRasterLayer(str(path), name or path.stem)
    assert layer.isValid(), path
    QgsProject.instance().addMapLayer(layer)
    return layer


@pytest.fixture()
def rgbn_layer(project):
    return add_raster(DATA / "rgbn.tif")


@pytest.fixture()
def synthetic_tif(tmp_path) -> Path:
    """A 3-band 300x200 GeoTIFF in EPSG:32633 with a bright square and nodata=0 in one corner."""
    import numpy as np
    from osgeo import gdal, osr

    path = tmp_path / "synthetic.tif"
    ds = gdal.GetDriverByName("GTiff").Create(str(path), 300, 200, 3, gdal.GDT_Byte)
    ds.SetGeoTransform((500000.0, 2.0, 0.0, 4600000.0, 0.0, -2.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds.SetProjection(srs.ExportToWkt())
    rng = np.random.default_rng(0)
    for band in range(1, 4):
        data = rng.integers(40, 90, size=(200, 300), dtype=np.uint8)
        data[60:140, 100:200] = 220
        data[:20, :20] = 0
        ds.GetRasterBand(band).WriteArray(data)
        ds.GetRasterBand(band).SetNoDataValue(0)
    ds.FlushCache()
    ds = None
    return path


@pytest.fixture(scope="session")
def tiny_model(request) -> Path:
    """A random-weight tiny SegEarth-R1 model: SEGEARTH_TINY_MODEL if set, else the suite's shared tiny_model_dir."""
    given = os.environ.get("SEGEARTH_TINY_MODEL")
    if given and (Path(given) / "config.json").is_file():
        return Path(given)
    return Path(request.getfixturevalue("tiny_model_dir"))


@pytest.fixture(scope="session")
def engine_available() -> None:
    """The project's own engine must import here (make setup installs it): a failure, never a skip."""
    try:
        import segearth_engine.models.r1.segmenter  # noqa: F401
        import segearth_engine.pipeline.raster  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"segearth_engine pipeline/segmenter cannot be imported: {exc}")


@pytest.fixture()
def load_raster(project):
    """Function adding a raster file to the project and returning the layer."""
    return add_raster


@pytest.fixture()
def wait_task():
    """Function waiting for a QgsTask (and its finished()) with a timeout."""
    return wait_for_task


def ask(plugin, raster, model, question: str, mode: str = "view"):
    """Type `question` about `raster` into the dock with `model` and press Run; the started SegmentTask."""
    dock = plugin.dock
    dock.follow_layer(raster)
    dock.question.setPlainText(question)
    dock.model_panel.set_model_dir(str(model))
    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData(mode))
    task = plugin.run_request(dock.build_request())
    assert task is not None, dock.stage.text()
    return task


def export_and_wait(plugin, layer, path, confirm=None, timeout: float = 120.0):
    """plugin.export(...) and wait for its background task: the written path, or None (refused, failed, cancelled)."""
    task = plugin.export(layer, str(path), confirm)
    if task is None:
        return None
    wait_for_task(task, timeout)
    return task.written


@pytest.fixture()
def exported():
    """Function exporting a layer through the plugin's background task and waiting for it (export_and_wait)."""
    return export_and_wait


class RecordingFeedback(QgsProcessingFeedback):
    """A Processing feedback that keeps what it was told."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.errors: list[str] = []
        self.infos: list[str] = []
        self.warnings: list[str] = []

    def setProgressText(self, text: str) -> None:  # noqa: N802 - QGIS API
        self.texts.append(text)
        super().setProgressText(text)

    def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N802, N803
        self.errors.append(error)
        super().reportError(error, fatalError)

    def pushInfo(self, info: str) -> None:  # noqa: N802
        self.infos.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning: str) -> None:  # noqa: N802
        self.warnings.append(warning)
        super().pushWarning(warning)


@pytest.fixture()
def spin():
    """Function spinning the event loop until a predicate holds or a timeout passes."""
    return process_events_until


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def tiny_r2_model(tmp_path_factory) -> Path:
    """A random-weight tiny SegEarth-R2 model with the engine's scripted two-[SEG] answer (a TEST construction,
    segearth_engine.tiny_models.r2), its ONNX graphs exported once here so that every test only loads them."""
    from segearth_engine.api import load_segmenter
    from segearth_engine.tiny_models.r2 import make_tiny_r2_model

    folder = make_tiny_r2_model(tmp_path_factory.mktemp("r2") / "tiny-r2", seed=0)
    load_segmenter(folder, device="cpu")  # exports the ONNX graphs next to the weights
    return folder


@pytest.fixture()
def load_scripted_r2(tiny_r2_model):
    """Function loading the tiny R2 model into a ModelHolder (see _load_scripted_r2); returns the segmenter."""
    return lambda holder: _load_scripted_r2(holder, tiny_r2_model)


def _load_scripted_r2(holder, model_dir: Path):
    """Load the tiny R2 model through the plugin's own ModelHolder. Its generation_config.json holds the token budget
    that ends the scripted answer after two [SEG] ("runway[SEG] and taxiways[SEG] and")."""
    from segearth_engine.tiny_models.r2 import scripted_max_new_tokens

    segmenter = holder.get(str(model_dir))
    assert segmenter.max_new_tokens == scripted_max_new_tokens(segmenter.tokenizer)
    return segmenter


@pytest.fixture()
def provider(qgis_processing):
    """The SegEarth Processing provider, registered for one test."""
    from qgis.core import QgsApplication

    from segearth_qgis.processing.provider import SegEarthProvider

    registry = QgsApplication.processingRegistry()
    provider = SegEarthProvider()
    registry.addProvider(provider)
    yield provider
    registry.removeProvider(provider)


@pytest.fixture()
def loaded(plugin, rgbn_layer, tiny_model, wait_task):
    """The plugin with the tiny model loaded by its background preload, the raster chosen and the setting on."""
    plugin.dock.model_panel.warm_view.setChecked(True)
    plugin.dock.follow_layer(rgbn_layer)
    plugin.dock.model_panel.set_model_dir(str(tiny_model))
    preload = plugin.preloader.loading(str(tiny_model))
    if preload is not None:
        wait_task(preload, 600)
    assert plugin.holder.loaded(str(tiny_model))
    plugin.warmer.cancel()  # the preload's end may have scheduled one for an empty question: start from nothing
    return plugin


@pytest.fixture(scope="session")
def compiled() -> None:
    """The .qm files, compiled from i18n/*.ts with Qt's lrelease when they are not there yet."""
    if not all((REPO / "i18n" / f"segearth_{lang}.qm").is_file() for lang in ("fr", "zh_CN")):
        subprocess.run(["bash", str(REPO / "scripts" / "compile_translations.sh")], check=False, timeout=60)
    if not all((REPO / "i18n" / f"segearth_{lang}.qm").is_file() for lang in ("fr", "zh_CN")):
        pytest.skip("lrelease is not installed")
