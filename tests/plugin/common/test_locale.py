"""The plugin's translation follows QGIS's language by family: QGIS's own option for Simplified Chinese writes
"zh-Hans", the system may say "zh_CN" or "zh", and all of them must load segearth_zh_CN.qm (real QTranslator)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SIMPLIFIED = ("zh-Hans", "zh-CN", "zh_CN", "zh", "zh-Hans-CN", "zh_Hans_CN", "zh_CN.UTF-8", "zh-SG")
FRENCH = ("fr", "fr_FR", "fr-FR", "fr-CA", "fr_BE.UTF-8")
UNTRANSLATED = ("en", "en_US", "zh-Hant", "zh_TW", "zh-HK", "de_DE", "C")


@pytest.fixture()
def translator(qgis_app, compiled):
    from segearth_qgis.common.translation import install_translator, remove_translator

    yield install_translator
    remove_translator()


@pytest.mark.parametrize("locale", SIMPLIFIED)
def test_simplified_chinese_forms_load_the_chinese_translation(translator, locale):
    from segearth_qgis.common.translation import tr

    loaded = translator(locale)
    assert loaded and Path(loaded).name == "segearth_zh_CN.qm"
    assert tr("Run") == "运行"


@pytest.mark.parametrize("locale", FRENCH)
def test_french_forms_load_the_french_translation(translator, locale):
    from segearth_qgis.common.translation import tr

    assert Path(translator(locale) or "").name == "segearth_fr.qm"
    assert tr("Run") == "Lancer"


@pytest.mark.parametrize("locale", UNTRANSLATED)
def test_other_languages_and_traditional_chinese_stay_english(translator, locale):
    from segearth_qgis.common.translation import tr

    assert translator("zh_CN")  # a translator from before must not survive a switch to an untranslated language
    assert translator(locale) is None
    assert tr("Run") == "Run"


@pytest.mark.parametrize(("locale", "available", "expected"), [
    ("pt-BR", ["pt_BR", "pt_PT"], "pt_BR"),
    ("pt_PT", ["pt_BR", "pt_PT"], "pt_PT"),
    ("pt", ["pt_BR"], "pt_BR"),
    ("de-AT", ["de", "de_CH"], "de"),
    ("sr@latin", ["sr"], "sr"),
    ("zh-Hant-TW", ["zh_CN", "zh_TW"], "zh_TW"),
    ("zh-Hant", ["zh_CN", "zh-Hant"], "zh-Hant"),
    ("zh-Hans", ["zh_CN", "zh-Hant"], "zh_CN"),
    ("es-419", ["es", "es_419"], "es_419"),
    ("it", ["fr", "zh_CN"], None),
])
def test_any_future_translation_is_matched_by_family(locale, available, expected):
    from segearth_qgis.common.translation import match_translation

    assert match_translation(locale, available) == expected


def test_future_translation_files_are_found(tmp_path):
    from segearth_qgis.common.translation import available_translations, match_translation

    for name in ("segearth_ja.qm", "segearth_pt_BR.qm", "segearth_pt_BR.ts", "other_de.qm"):
        (tmp_path / name).write_bytes(b"")
    assert available_translations(tmp_path) == ["ja", "pt_BR"]
    assert match_translation("ja-JP", available_translations(tmp_path)) == "ja"


def test_qgis_language_option_zh_hans_translates_the_dock(qgis_iface, project, compiled):
    """What QGIS's Options > General > "User interface translation" writes for Simplified Chinese."""
    from qgis.core import QgsSettings

    from segearth_qgis import classFactory
    from segearth_qgis.common.translation import remove_translator

    settings = QgsSettings()
    before = {key: settings.value(key) for key in ("locale/overrideFlag", "locale/userLocale")}
    settings.setValue("locale/overrideFlag", True)
    settings.setValue("locale/userLocale", "zh-Hans")
    plugin = classFactory(qgis_iface)
    try:
        plugin.initGui()
        assert plugin.dock.run_button.text() == "运行"
    finally:
        plugin.unload()
        remove_translator()
        for key, value in before.items():
            settings.remove(key) if value is None else settings.setValue(key, value)


def test_every_text_the_plugin_translates_has_french_and_chinese():
    """Each tr("…") literal of the plugin is in both .ts files (users in mainland China read the Chinese dock, and
    need its download and mirror texts most)."""
    import ast
    import xml.etree.ElementTree as ET

    sources = {}
    for path in sorted((REPO / "segearth_qgis").rglob("*.py")):  # every room
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "tr" and node.args and \
                    isinstance(node.args[0], ast.Constant):
                sources.setdefault(node.args[0].value, path.name)
    for lang in ("fr", "zh_CN"):
        messages = list(ET.parse(REPO / "i18n" / f"segearth_{lang}.ts").iter("message"))
        merged = [[s.text for s in m.findall("source")] for m in messages if len(m.findall("source")) != 1]
        assert not merged, f"{lang}: one <message> per source (a merge joined these): {merged}"
        translated = {m.findtext("source") for m in messages if (m.findtext("translation") or "").strip()}
        missing = {text: where for text, where in sources.items() if text not in translated}
        assert not missing, f"{lang}: {missing}"
