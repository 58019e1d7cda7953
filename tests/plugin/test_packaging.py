"""Packaging: metadata, zip layout, translations covering every UI string, deployment into a profile."""

from __future__ import annotations

import ast
import configparser
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

REPO = Path(__file__).resolve().parents[2]


def ui_strings() -> set[str]:
    found = {"SegEarth results"}
    for path in (REPO / "segearth_qgis").rglob("*.py"):  # every room
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("tr", "_tr") and node.args \
                    and isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
    return found


def test_metadata_is_complete():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(REPO / "metadata.txt", encoding="utf-8")
    general = parser["general"]
    for key in ("name", "description", "about", "version", "qgisMinimumVersion", "qgisMaximumVersion", "author",
                "email", "repository", "tracker", "homepage", "tags", "category", "icon", "changelog",
                "experimental", "hasProcessingProvider"):
        assert general.get(key), key
    assert general["version"] == "0.1.0" and general["qgisMinimumVersion"] == "3.22"
    assert general["qgisMaximumVersion"] == "4.99" and general["category"] == "Raster"
    assert (REPO / general["icon"]).is_file()


def test_every_ui_string_is_translated():
    strings = ui_strings()
    for lang in ("fr", "zh_CN"):
        root = ElementTree.parse(REPO / "i18n" / f"segearth_{lang}.ts").getroot()
        table = {m.findtext("source"): m.findtext("translation") for m in root.iter("message")}
        missing = sorted(s for s in strings if not table.get(s))
        assert not missing, (lang, missing)


def test_translations_have_no_stale_strings():
    """Every .ts entry is still used in the code (a renamed string would otherwise silently lose its translation)."""
    strings = ui_strings()
    for lang in ("fr", "zh_CN"):
        root = ElementTree.parse(REPO / "i18n" / f"segearth_{lang}.ts").getroot()
        stale = sorted(m.findtext("source") for m in root.iter("message") if m.findtext("source") not in strings)
        assert not stale, (lang, stale)


def test_placeholders_survive_translation():
    for lang in ("fr", "zh_CN"):
        root = ElementTree.parse(REPO / "i18n" / f"segearth_{lang}.ts").getroot()
        for message in root.iter("message"):
            source, text = message.findtext("source"), message.findtext("translation")
            assert source.count("{}") == text.count("{}"), (lang, source)


def test_package_zip_layout(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "package_plugin.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    archive = zipfile.ZipFile(tmp_path / "segearth_qgis-0.1.0.zip")
    names = set(archive.namelist())
    for required in ("segearth_qgis/__init__.py", "segearth_qgis/metadata.txt", "segearth_qgis/resources/icon.svg",
                     "segearth_qgis/resources/select_extent.svg", "segearth_qgis/resources/visible_extent.svg",
                     "segearth_qgis/plugin.py", "segearth_qgis/processing/provider.py"):
        assert required in names, required
    plugin = REPO / "segearth_qgis"
    modules = {f"segearth_qgis/{p.relative_to(plugin).as_posix()}" for p in plugin.rglob("*.py")}
    assert modules <= names, modules - names  # every room's modules, with its __init__
    assert not any("__pycache__" in n or n.endswith(".ts") for n in names)
    # the engine ships inside the zip (pure Python, with its own Apache-2.0 licence); the plugin is GPL-2.0-or-later
    assert {"segearth_qgis/_vendor/segearth_engine/__init__.py", "segearth_qgis/_vendor/segearth_engine/api.py",
            "segearth_qgis/_vendor/segearth_engine/LICENSE", "segearth_qgis/LICENSE"} <= names
    assert "GNU GENERAL PUBLIC LICENSE" in archive.read("segearth_qgis/LICENSE").decode()
    assert "Apache License" in archive.read("segearth_qgis/_vendor/segearth_engine/LICENSE").decode()
    assert (tmp_path / "plugins.xml").is_file()
    if subprocess.run(["bash", "-c", "command -v lrelease"], capture_output=True, check=False).returncode == 0:
        assert {"segearth_qgis/i18n/segearth_fr.qm", "segearth_qgis/i18n/segearth_zh_CN.qm"} <= names


def test_compile_translations_without_lrelease_explains(tmp_path):
    done = subprocess.run(["bash", str(REPO / "scripts" / "compile_translations.sh")], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "LRELEASE": "/nonexistent/lrelease"},
                          timeout=60, check=False)
    assert done.returncode == 0 and "lrelease not found" in done.stderr


def test_deploy_enables_plugin_and_clears_watchdog(tmp_path):
    profile = tmp_path / "profile"
    (profile / "QGIS").mkdir(parents=True)
    (profile / "QGIS" / "QGIS3.ini").write_text(
        "[PythonPlugins]\nprocessing=true\nwatchDog\\segearth_qgis=true\nsegearth_qgis=false\n\n[qgis]\nx=1\n")
    done = subprocess.run(["bash", str(REPO / "scripts" / "deploy_plugin.sh"), str(profile)], capture_output=True,
                          text=True, timeout=120, check=False,
                          env={"PATH": "/usr/bin:/bin", "SEGEARTH_BUILD_DIR": str(tmp_path / "build")})
    assert done.returncode == 0, done.stderr
    ini = (profile / "QGIS" / "QGIS3.ini").read_text()
    assert "segearth_qgis=true" in ini and "watchDog" not in ini and "segearth_qgis=false" not in ini
    assert "processing=true" in ini and "[qgis]" in ini
    assert (profile / "python" / "plugins" / "segearth_qgis" / "metadata.txt").is_file()


def test_translator_loads_french(qgis_app):
    from segearth_qgis.common.translation import install_translator, remove_translator, tr

    if not (REPO / "i18n" / "segearth_fr.qm").is_file():
        subprocess.run(["bash", str(REPO / "scripts" / "compile_translations.sh")], check=False, timeout=60)
    if not (REPO / "i18n" / "segearth_fr.qm").is_file():
        import pytest

        pytest.skip("lrelease is not installed")
    try:
        assert install_translator("fr_FR")
        assert tr("Segment selected extent") == "Segmenter l'emprise sélectionnée"
    finally:
        remove_translator()
    assert tr("Segment selected extent") == "Segment selected extent"


def test_run_qgis_prepares_project_local_profile_and_needs_a_display(tmp_path):
    """`make run`'s script: plugin copied and enabled in a private profile, model preset; no display: says so."""
    model = tmp_path / "my model"
    model.mkdir()
    (model / "config.json").write_text('{"segearth_engine": {"seed": 0}}', encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "SEGEARTH_QGIS_PROFILES": str(tmp_path / "qgis"),
           "SEGEARTH_BUILD_DIR": str(tmp_path / "build"), "SEGEARTH_MODEL": str(model)}
    script = str(REPO / "scripts" / "run_qgis.sh")
    done = subprocess.run(["bash", script, str(REPO / "tests" / "data" / "rgbn.tif"), "--prepare-only"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "TEST model" in done.stdout and "--profiles-path" in done.stdout and "rgbn.tif" in done.stdout
    profile = tmp_path / "qgis" / "profiles" / "segearth"
    assert (profile / "python" / "plugins" / "segearth_qgis" / "plugin.py").is_file()
    from qgis.PyQt.QtCore import QSettings

    ini = QSettings(str(profile / "QGIS" / "QGIS3.ini"), QSettings.Format.IniFormat)
    assert ini.value("PythonPlugins/segearth_qgis") == "true"
    assert ini.value("SegEarth/model_dir") == str(model)  # the dock opens on this folder (space survives)
    assert not (tmp_path / "home").exists()  # the user's own profile is not touched

    headless = subprocess.run(["bash", script], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert headless.returncode == 2
    assert "DISPLAY is not set" in headless.stderr and "qgis --profiles-path" in headless.stderr


def test_zip_is_self_contained_and_loads_in_qgis(tmp_path, qgis_iface):
    """The zip alone (unpacked as QGIS's plugin installer does) gives a working plugin: code, icons, metadata, .qm."""
    import importlib.util

    done = subprocess.run([sys.executable, str(REPO / "scripts" / "package_plugin.py"),
                           str(tmp_path / "dist" / "segearth_qgis.zip")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    plugins = tmp_path / "plugins"
    zipfile.ZipFile(tmp_path / "dist" / "segearth_qgis.zip").extractall(plugins)
    folder = plugins / "segearth_qgis"
    spec = importlib.util.spec_from_file_location("segearth_qgis_from_zip", folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        plugin = module.classFactory(qgis_iface)
        assert type(plugin).__name__ == "SegEarthPlugin"
        paths = sys.modules["segearth_qgis_from_zip.common.paths"]
        assert paths.plugin_root() == folder  # not the source tree
        assert paths.read_metadata()["version"] == "0.1.0"
        plugin.initGui()
        try:
            assert all(not action.icon().isNull() for action in plugin.actions)
            assert Path(paths.resource("icon.svg")).is_file()
        finally:
            plugin.unload()
        if (REPO / "i18n" / "segearth_fr.qm").is_file():
            assert (folder / "i18n" / "segearth_fr.qm").is_file() and (folder / "i18n" / "segearth_zh_CN.qm").is_file()
    finally:
        for name in [n for n in sys.modules if n.startswith(spec.name)]:
            del sys.modules[name]


def _checks():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import plugin_zip_checks
    finally:
        sys.path.remove(str(REPO / "scripts"))
    return plugin_zip_checks


def _rezip(source: Path, dest: Path, drop: str = "", add: dict | None = None, about: str | None = None) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            if name == drop:
                continue
            data = old.read(name)
            if about is not None and name.endswith("segearth_qgis/metadata.txt"):
                text = data.decode()
                start = text.index("about=")
                data = (text[:start] + "about=" + about + text[text.index("\nversion="):]).encode()
            new.writestr(name, data)
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return dest


def test_zip_passes_and_fails_the_plugin_repository_rules(tmp_path):
    """The real zip passes; a compiled binary, a missing LICENSE, an untrue `about` or a second top folder fail."""
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "package_plugin.py"), "--no-translations",
                           str(tmp_path / "segearth_qgis.zip")], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    checks = _checks()
    good = tmp_path / "segearth_qgis.zip"
    assert checks.check_zip(good) == []
    assert good.stat().st_size < checks.MAX_BYTES
    bad = checks.check_zip(_rezip(good, tmp_path / "a.zip", add={"segearth_qgis/_vendor/x.so": b"\x7fELF...."}))
    assert any("compiled binary" in p for p in bad)
    elf = checks.check_zip(_rezip(good, tmp_path / "b.zip", add={"segearth_qgis/tool": b"\x7fELF\x02\x01"}))
    assert any("executable content" in p for p in elf)
    assert "segearth_qgis/LICENSE is missing" in checks.check_zip(_rezip(good, tmp_path / "c.zip",
                                                                          drop="segearth_qgis/LICENSE"))
    untrue = checks.check_zip(_rezip(good, tmp_path / "d.zip", about="Requires the segearth-engine Python package: "
                                                                     "pip install segearth-engine"))
    assert any("Install dependencies" in p for p in untrue) and any("pip install" in p for p in untrue)
    assert any("one top folder" in p for p in checks.check_zip(_rezip(good, tmp_path / "e.zip",
                                                                        add={"other/__init__.py": b""})))

    xml = ElementTree.parse(tmp_path / "plugins.xml").getroot()
    entry = xml.find("pyqgis_plugin")
    assert entry.get("plugin_id") == "segearth_qgis" and entry.get("version") == "0.1.0"
    assert entry.findtext("download_url") == good.resolve().as_uri()
    assert entry.findtext("qgis_minimum_version") == "3.22" and "segearth_deps" in entry.findtext("about")


def test_about_names_the_private_folder_the_code_uses(tmp_path):
    """metadata's `about` says where packages go; that is where the installer really puts them."""
    from segearth_qgis.packages.python_layout import PythonLayout, private_folder

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "metadata.txt", encoding="utf-8")
    about = parser["general"]["about"]
    folder = private_folder(tmp_path, PythonLayout.current())
    assert "python/segearth_deps/" in about and folder.parent == tmp_path / "python" / "segearth_deps"
    assert "Install dependencies…" in about
    from segearth_qgis.packages.dependencies import BUTTON

    assert BUTTON in about
