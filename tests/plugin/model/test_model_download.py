"""The plugin's Download in real QGIS against the local hub (tests/local_hub.py), reached through the hub-address
setting and QGIS's proxy settings: the first-run guide, progress in the panel and the task manager, Cancel within
2 s, resume, a wrong byte, hub errors, the free-space refusal, then the first load's own stage."""

from __future__ import annotations

import json
import time

import pytest
from qgis.core import QgsSettings

from tests.local_hub import LocalHub, LocalProxy

RELEASED = "earth-insights/SegEarth-R1-EarthReason"
COMMIT = "d0ca5c4" + "0" * 33  # the release's pinned revision is a prefix of the commit the local hub serves
SETTINGS = ("SegEarth/models_folder", "SegEarth/hub_endpoint", "SegEarth/model_dir", "proxy/proxyEnabled",
            "proxy/proxyType", "proxy/proxyHost", "proxy/proxyPort", "proxy/proxyUser", "proxy/proxyPassword",
            "proxy/authcfg", "proxy/proxyExcludedUrls")


@pytest.fixture()
def hub(release_dir):
    with LocalHub() as server:
        server.add_repo(RELEASED, release_dir, commit=COMMIT)
        yield server


@pytest.fixture()
def settings(hub, tmp_path):
    """The hub-address and models-folder settings point at the local hub and a fresh folder; no model chosen."""
    store = QgsSettings()
    for key in SETTINGS:
        store.remove(key)
    store.setValue("SegEarth/hub_endpoint", hub.url)
    store.setValue("SegEarth/models_folder", str(tmp_path / "models"))
    yield store
    for key in SETTINGS:
        store.remove(key)


@pytest.fixture()
def fresh_plugin(settings, qgis_iface, project):
    from segearth_qgis import classFactory
    from tests.plugin.conftest import wait_for_task

    instance = classFactory(qgis_iface)
    instance.initGui()
    loads = instance.preloader.tasks  # the first loads a download starts: stopped, not left to the next test
    yield instance
    for task in list(loads):
        task.cancel()
        wait_for_task(task, 120)
    instance.unload()


def dest(tmp_path):
    return tmp_path / "models" / RELEASED.replace("/", "--")


def test_first_run_says_what_to_do_and_run_says_why_not(fresh_plugin):
    dock = fresh_plugin.dock
    guide = dock.first_run
    assert guide.state == "needs_model" and not guide.isHidden()
    assert guide.title.text() == "First, get the model"
    assert guide.download.text() == "Download (3.2 GB)"
    assert "about 3.2 GB" in guide.text.text() and "up to about 3.9 GB more" in guide.text.text()
    assert not dock.run_button.isEnabled() and "download it or choose its folder" in dock.run_button.toolTip()
    assert dock.stage.text() == dock.run_button.toolTip()
    assert dock.widget().widget().layout().itemAt(0).widget() is guide  # the first thing in the dock


def wait_until(spin, predicate, timeout=60.0):
    assert spin(predicate, timeout), "timed out"


def test_download_progress_cancel_resume_and_first_load(fresh_plugin, hub, release_dir, tmp_path, spin, wait_task):
    from qgis.core import QgsApplication
    from qtpy.QtCore import QTimer

    from segearth_engine.api import partial_bytes

    dock, panel = fresh_plugin.dock, fresh_plugin.dock.model_panel
    hub.faults.rate_bps = 3_000_000
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(50)
    dock.first_run.download.click()  # the guide's Download: the released model the panel lists
    task = fresh_plugin.downloader.task
    assert task is not None and task.description() == f"SegEarth: downloading {RELEASED}"
    assert QgsApplication.taskManager().task(QgsApplication.taskManager().taskId(task)) is task
    wait_until(spin, lambda: task.progress() > 25)
    line = panel.progress.label.text()
    assert line.startswith("Downloading model.safetensors: ") and " MB/s · " in line and line.endswith(" left"), line
    assert dock.first_run.progress.label.text() == line and not dock.first_run.progress.isHidden()
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert max(gaps) < 0.5, f"the GUI stalled for {max(gaps):.2f} s during the download"

    asked = time.monotonic()
    panel.progress.cancel.click()
    wait_task(task, 10)
    assert task.cancelled and time.monotonic() - asked < 2.0
    kept = partial_bytes(dest(tmp_path))
    assert kept > 3_000_000
    assert dock.first_run.state == "stopped" and dock.first_run.title.text() == "Download cancelled"
    assert f"{kept / 1e6:.1f} MB fetched so far are kept" in dock.first_run.text.text()
    assert dock.first_run.download.text() == "Resume download" and panel.download.isEnabled()

    hub.faults.rate_bps = 0
    dock.first_run.download.click()
    wait_task(fresh_plugin.downloader.task, 60)
    assert hub.ranges_asked("/cdn/")[-1] == f"bytes={kept}-"
    assert panel.model_dir() == str(dest(tmp_path))
    assert (dest(tmp_path) / "model.safetensors").read_bytes() == (release_dir / "model.safetensors").read_bytes()
    wait_until(spin, lambda: dock.first_run.state == "preparing", 60)  # the first load exports: its own stage
    assert panel.progress.label.text().startswith("Preparing the model (once): ")
    wait_until(spin, lambda: dock.first_run.state == "ready", 300)
    assert dock.run_button.isEnabled() and panel.progress.isHidden()
    assert (dest(tmp_path) / "onnx" / "vision_encoder.onnx").is_file()


def test_a_wrong_byte_is_removed_and_said(fresh_plugin, hub, tmp_path, wait_task, qgis_iface):
    from qgis.core import Qgis

    hub.faults.wrong_byte_at = 100
    qgis_iface.messageBar().clear_messages()
    task = fresh_plugin.download_model(RELEASED, "")
    wait_task(task, 60)
    guide = fresh_plugin.dock.first_run
    assert guide.state == "stopped" and guide.title.text() == "Download failed"
    assert "model.safetensors: the downloaded bytes do not match" in guide.text.text()
    assert "has been removed" in guide.text.text()
    critical = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Critical)
    assert any("has been removed" in m for m in critical)
    assert not (dest(tmp_path) / "model.safetensors").exists()


@pytest.mark.parametrize("fault,revision,expected", [
    ("none", "fedcba98", "revision fedcba98 of earth-insights/SegEarth-R1-EarthReason was not found"),
    ("unauthorized", "", "refused access to earth-insights/SegEarth-R1-EarthReason (401)"),
])
def test_hub_errors_reach_the_guide(fresh_plugin, hub, wait_task, fault, revision, expected):
    hub.faults.unauthorized = fault == "unauthorized"
    task = fresh_plugin.download_model(RELEASED, revision)
    wait_task(task, 60)
    assert expected in fresh_plugin.dock.first_run.text.text()


def test_429_shows_the_wait_then_succeeds(fresh_plugin, hub, tmp_path, wait_task, spin):
    hub.faults.rate_limited, hub.faults.retry_after_s = 1, 2
    task = fresh_plugin.download_model(RELEASED, "")
    panel = fresh_plugin.dock.model_panel
    wait_until(spin, lambda: panel.progress.label.text().startswith("Waiting"), 10)
    assert "the hub asked to wait 2 s" in panel.progress.label.text()
    wait_task(task, 60)
    assert task.folder == str(dest(tmp_path))


def test_not_enough_space_is_refused_with_the_numbers(fresh_plugin, hub, wait_task, monkeypatch):
    import shutil

    usage = shutil.disk_usage("/")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=30_000_000))
    task = fresh_plugin.download_model(RELEASED, "")
    wait_task(task, 60)
    text = fresh_plugin.dock.first_run.text.text()
    assert "not enough free space" in text and "the download needs 22.1 MB more" in text and "30.0 MB are free" in text
    assert "ONNX graphs" in text and "the prepared language model" in text
    assert not hub.ranges_asked("/cdn/")


def auth_config(user: str, password: str) -> str:
    """A Basic authentication configuration in QGIS's authentication database; its id."""
    from qgis.core import QgsApplication, QgsAuthMethodConfig

    manager = QgsApplication.authManager()
    if not manager.masterPasswordIsSet():
        assert manager.setMasterPassword("segearth-test", True)
    config = QgsAuthMethodConfig("Basic")
    config.setName("segearth test proxy")
    config.setConfig("username", user)
    config.setConfig("password", password)
    assert manager.storeAuthenticationConfig(config)[0]
    return config.id()


@pytest.mark.parametrize("credentials", ["settings", "authcfg"])
def test_qgis_proxy_with_authentication_reaches_the_download(fresh_plugin, settings, hub, tmp_path, wait_task,
                                                             credentials):
    with LocalProxy() as proxy:
        for key, value in {"proxyEnabled": "true", "proxyType": "HttpProxy", "proxyHost": "127.0.0.1",
                           "proxyPort": str(proxy.port)}.items():
            settings.setValue(f"proxy/{key}", value)
        if credentials == "settings":
            settings.setValue("proxy/proxyUser", proxy.user)
            settings.setValue("proxy/proxyPassword", proxy.password)
        else:
            settings.setValue("proxy/authcfg", auth_config(proxy.user, proxy.password))
        task = fresh_plugin.download_model(RELEASED, "")
        wait_task(task, 60)
        assert task.folder == str(dest(tmp_path)), task.error
        assert any(method == "GET" and "/cdn/" in target for method, target in proxy.hits)
        assert proxy.refused == 0


def test_the_panel_downloads_every_released_model_it_lists(fresh_plugin, release_dir, tmp_path, wait_task):
    """The model panel's Download, for each repo its list offers, at that release's pinned revision."""
    from segearth_engine.api import RELEASED_MODELS

    panel = fresh_plugin.dock.model_panel
    listed = [panel.repo.itemText(i) for i in range(panel.repo.count())]
    assert listed == list(RELEASED_MODELS)
    with LocalHub() as server:
        QgsSettings().setValue("SegEarth/hub_endpoint", server.url)
        for index, repo_id in enumerate(listed):
            pinned = RELEASED_MODELS[repo_id].revision
            server.add_repo(repo_id, release_dir, commit=pinned + "0" * (40 - len(pinned)))
            panel.repo.setCurrentIndex(index)
            assert panel.revision.text() == pinned
            panel.download.click()
            task = fresh_plugin.downloader.task
            wait_task(task, 60)
            folder = tmp_path / "models" / repo_id.replace("/", "--")
            assert task.folder == str(folder), task.error
            manifest = json.loads((folder / "segearth_manifest.json").read_text())
            assert manifest["repo_id"] == repo_id and manifest["revision"].startswith(pinned)


def test_after_a_restart_the_guide_offers_to_resume(settings, hub, tmp_path, qgis_iface, project):
    """What a cancelled download or a closed QGIS left is seen at the next start: Download goes on from there."""
    from segearth_engine.api import Cancelled, HubAccess, download_model, partial_bytes
    from segearth_qgis import classFactory
    hub.faults.rate_bps = 4_000_000
    started = time.monotonic()
    with pytest.raises(Cancelled):
        download_model(RELEASED, None, dest(tmp_path), access=HubAccess(hub.url),
                       is_cancelled=lambda: time.monotonic() - started > 1.5)
    kept = partial_bytes(dest(tmp_path))
    assert kept > 1_000_000
    instance = classFactory(qgis_iface)
    instance.initGui()
    try:
        guide = instance.dock.first_run
        assert guide.state == "needs_model"
        assert f"{kept / 1e6:.1f} MB of it were fetched before: Download goes on from there." in guide.text.text()
        assert guide.download.text().startswith("Resume download (") and guide.download.text().endswith(" left)")
    finally:
        instance.unload()


def test_the_export_stage_ends_with_its_load_when_the_folder_changes(fresh_plugin, release_dir, tmp_path, spin):
    """The stage's poll kept running on the ended load's deleted task (an error in a timer slot, every tick) when
    the folder had changed before the load ended."""
    import shutil

    panel, stage = fresh_plugin.dock.model_panel, fresh_plugin.first_load
    panel.set_model_dir(str(shutil.copytree(release_dir, tmp_path / "fresh")))  # no graphs yet: its load exports
    wait_until(spin, lambda: stage.task is not None, 120)
    panel.set_model_dir(str(tmp_path / "gone"))
    wait_until(spin, lambda: not fresh_plugin.preloader.tasks, 300)
    spin(lambda: False, 1.5)  # a few of the stage's ticks
    assert stage.task is None and not stage.timer.isActive() and panel.progress.isHidden()


def test_a_question_asked_during_the_first_load_ends_the_guide(fresh_plugin, release_dir, rgbn_layer, tmp_path, spin,
                                                               wait_task):
    """The question waited for the load; when the load ended the guide said "Ready for a first question" above the
    answer (seen in the desktop smoke test's screenshot)."""
    import shutil

    dock = fresh_plugin.dock
    dock.follow_layer(rgbn_layer)
    dock.question.setPlainText("where could a small plane land?")
    dock.model_panel.set_model_dir(str(shutil.copytree(release_dir, tmp_path / "fresh")))  # its load exports
    wait_until(spin, lambda: dock.first_run.state == "preparing", 120)
    dock.run_button.click()
    task = fresh_plugin.task
    assert task is not None, dock.stage.text()
    wait_task(task, 600)
    wait_until(spin, lambda: not fresh_plugin.preloader.tasks, 300)
    assert task.error is None and dock.first_run.state == "hidden" and dock.first_run.isHidden()
