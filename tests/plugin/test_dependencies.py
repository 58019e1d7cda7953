"""The plugin loads without the heavy engine and explains what to install."""

from __future__ import annotations

import sys

from qgis.core import Qgis

from segearth_qgis import dependencies


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
        assert any("segearth_engine.models.r1.segmenter cannot be imported" in m and "pip install" in m
                   for m in critical)
        assert plugin.last_result_layer is None
    finally:
        plugin.unload()


def test_fallback_plugin_when_ui_layer_cannot_import(qgis_iface, monkeypatch):
    for name in [n for n in sys.modules if n.startswith("segearth_qgis.")]:
        monkeypatch.delitem(sys.modules, name)
    for name in [n for n in sys.modules if n == "qtpy" or n.startswith("qtpy.")] + ["qtpy"]:
        monkeypatch.setitem(sys.modules, name, None)
    from segearth_qgis import classFactory

    plugin = classFactory(qgis_iface)
    assert type(plugin).__name__ == "FallbackPlugin"
    qgis_iface.messageBar().clear_messages()
    plugin.initGui()
    critical = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Critical)
    assert any("qtpy" in m and "pip install" in m for m in critical)
    plugin.unload()


def test_install_command_pins_numpy_and_targets_private_folder(tmp_path):
    command = dependencies.install_command(["torch", "segearth_engine"], target=tmp_path / "deps")
    assert command[1:4] == ["-m", "pip", "install"]
    assert command[command.index("--target") + 1] == str(tmp_path / "deps")
    constraints = (tmp_path / "deps-constraints.txt").read_text().splitlines()
    numpy_pin = [line for line in constraints if line.lower().startswith("numpy")]
    assert numpy_pin and (numpy_pin[0].startswith("numpy==1.") or numpy_pin[0] == "numpy<2")
    assert "segearth-engine[torch]" in command and "torch" in command


def test_private_site_dir_is_keyed_to_python():
    folder = dependencies.private_site_dir()
    assert f"py{sys.version_info.major}{sys.version_info.minor}-{sys.platform}" in folder.name


def _probe(blocked: str, tmp_path) -> dict:
    import json
    import os
    import subprocess
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
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
