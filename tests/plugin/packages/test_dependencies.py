"""The plugin loads without the heavy engine and explains what to install."""

from __future__ import annotations

import sys

from qgis.core import Qgis

from segearth_qgis.packages import dependencies


def test_plugin_loads_and_explains_when_segmenter_cannot_import(qgis_iface, project, rgbn_layer, tmp_path,
                                                                 monkeypatch, wait_task):
    # any import of it now raises ImportError
    monkeypatch.setitem(sys.modules, "segearth_engine.models.r1.segmenter", None)
    from segearth_qgis import classFactory
    plugin = classFactory(qgis_iface)
    plugin.initGui()
    try:
        panel = plugin.dock.model_panel
        assert "segearth_engine.models.r1.segmenter" in panel.status.text()
        assert not panel.install.isHidden()
        folder = tmp_path / "model"
        folder.mkdir()
        (folder / "config.json").write_text("{}", encoding="utf-8")
        (folder / "model.safetensors").write_bytes(b"")
        plugin.dock.follow_layer(rgbn_layer)
        plugin.dock.question.setPlainText("roads")
        panel.set_model_dir(str(folder))
        qgis_iface.messageBar().clear_messages()
        task = plugin.run_request(plugin.dock.build_request())
        wait_task(task, 30)
        critical = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Critical)
        assert any("segearth_engine.models.r1.segmenter cannot be imported" in m and "Install dependencies" in m
                   for m in critical)
        assert not any("pip install" in m for m in critical)  # never a pip command into a system Python
        assert plugin.last_result_layer is None
    finally:
        plugin.unload()


def test_fallback_plugin_shows_setup_dock_when_qtpy_is_missing(qgis_iface, monkeypatch):
    """A bare QGIS has no qtpy: the stand-in plugin still docks a SegEarth panel naming it, with the install button."""
    for name in [n for n in sys.modules if n.startswith("segearth_qgis.")]:
        monkeypatch.delitem(sys.modules, name)
    for name in [n for n in sys.modules if n == "qtpy" or n.startswith("qtpy.")] + ["qtpy"]:
        monkeypatch.setitem(sys.modules, name, None)
    from segearth_qgis import classFactory
    plugin = classFactory(qgis_iface)
    assert type(plugin).__name__ == "FallbackPlugin"
    qgis_iface.messageBar().clear_messages()
    plugin.initGui()
    try:
        dock = plugin.dock
        assert dock is not None and dock.objectName() == "SegEarthDock"
        assert "qtpy" in dock.status.text() and not dock.install.isHidden()
        assert "pip install" not in dock.status.text()
        warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
        assert any("SegEarth panel" in m for m in warnings)
    finally:
        plugin.unload()
    assert plugin.dock is None


def test_hints_point_at_the_button_or_the_os_package():
    from pathlib import Path

    from segearth_qgis.packages.python_layout import PythonLayout

    linux = PythonLayout("linux", "x86_64", (3, 11), Path("/usr/bin/qgis"), Path("/usr"))
    hint = dependencies.install_hint(["torch", "qtpy", "rasterio"], linux)
    assert "Install dependencies" in hint and "pip install" not in hint
    if dependencies.is_debian_like():
        assert "sudo apt install python3-rasterio" in hint
        assert "apt install python3-qtpy" in dependencies.install_hint(["qtpy"], linux)
    windows = PythonLayout("win32", "AMD64", (3, 12), Path("C:/OSGeo4W/bin/qgis-bin.exe"),
                           Path("C:/OSGeo4W/apps/Python312"))
    assert "OSGeo4W" in dependencies.install_hint(["shapely"], windows)
    assert dependencies.install_hint(["segearth_engine.api"], windows).startswith("click")


def test_private_site_dir_is_keyed_to_python():
    folder = dependencies.private_site_dir()
    assert folder.name.startswith(f"py{sys.version_info.major}{sys.version_info.minor}-")
    assert folder.parent.name == "segearth_deps" and folder.parent.parent.name == "python"


def _probe(blocked: str, tmp_path) -> dict:
    import json
    import os
    import subprocess
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "qgis"))
    env.pop("QGIS_OPTIONS_PATH", None)
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("load_plugin_probe.py")), blocked, str(repo)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, f"rc {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return json.loads(lines[-1][len("PROBE "):])


def test_loading_the_plugin_imports_nothing_heavy(tmp_path):
    report = _probe("", tmp_path)
    assert report["plugin"] == "SegEarthPlugin" and report["actions"] == 3
    assert report["heavy_imported"] == []  # torch, transformers, onnxruntime and the model code stay lazy
    assert not report["install_visible"]


def test_plugin_loads_without_heavy_packages_and_names_them(tmp_path):
    report = _probe("torch,transformers,onnxruntime,segearth_engine", tmp_path)
    assert report["plugin"] == "SegEarthPlugin" and report["actions"] == 3  # the full UI, not the fallback
    assert report["heavy_imported"] == []
    for name in ("segearth_engine", "torch", "transformers", "onnxruntime"):
        assert name in report["status"], report["status"]
    assert report["install_visible"]
