"""Translation: one Qt context for the whole plugin, and the translator installed from QGIS's locale."""

from __future__ import annotations

import re
from pathlib import Path

CONTEXT = "SegEarth"
_translator = None
#: regions whose Chinese is written in Traditional characters (QGIS names that translation "zh-Hant")
_TRADITIONAL_REGIONS = {"TW", "HK", "MO"}


def tr(text: str) -> str:
    """Translate a UI string (all UI strings go through here so that the .ts files can list them)."""
    try:
        from qtpy.QtCore import QCoreApplication
    except ImportError:  # qtpy not installed yet: the set-up dock and the installer still speak the user's language
        from qgis.PyQt.QtCore import QCoreApplication

    return QCoreApplication.translate(CONTEXT, text)


def locale_name() -> str:
    """QGIS's UI locale ("fr", "zh_CN", "zh-Hans", ...), honouring the override in the QGIS options."""
    from qgis.core import QgsSettings
    from qtpy.QtCore import QLocale

    settings = QgsSettings()
    if settings.value("locale/overrideFlag", False, type=bool):
        return str(settings.value("locale/userLocale", "") or "en")
    return QLocale.system().name()


def parse_locale(name: str) -> tuple[str, str, str]:
    """(language, script, region) of a POSIX or BCP 47 name: "zh_CN", "zh-Hans", "zh-Hant-TW", "fr_FR.UTF-8".

    Chinese gets its script from the region when it is not written ("zh_CN" is Simplified, "zh_TW" Traditional),
    because the two are different translations, not variants of one."""
    parts = [p for p in re.split(r"[-_]", re.split(r"[.@]", name.strip())[0]) if p]
    language = parts[0].lower() if parts else ""
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), "")
    region = next((p.upper() for p in parts[1:] if len(p) == 2 or (len(p) == 3 and p.isdigit())), "")
    if language == "zh" and not script:
        script = "Hant" if region in _TRADITIONAL_REGIONS else "Hans"
    return language, script, region


def match_translation(locale: str, available: list[str]) -> str | None:
    """The best of `available` translation names (e.g. ["fr", "zh_CN"]) for `locale`, by language family:
    same language and script (when both are known) is required; an exact region match is preferred."""
    language, script, region = parse_locale(locale)
    best, best_score = None, -1
    for name in available:
        their_language, their_script, their_region = parse_locale(name)
        if their_language != language or (script and their_script and script != their_script):
            continue
        score = (2 if their_region == region else 0) + (1 if not their_region else 0)
        if score > best_score:
            best, best_score = name, score
    return best


def available_translations(folder: Path | None = None) -> list[str]:
    """Names of the compiled translations shipped in i18n/ ("fr", "zh_CN"), sorted."""
    from .paths import i18n_dir

    folder = folder or i18n_dir()
    return sorted(path.stem[len("segearth_"):] for path in folder.glob("segearth_*.qm"))


def install_translator(locale: str | None = None) -> str | None:
    """Load the i18n/segearth_<name>.qm that matches the locale's language family; returns the file loaded, if any."""
    global _translator
    from qtpy.QtCore import QCoreApplication, QTranslator

    from .paths import i18n_dir

    remove_translator()
    name = match_translation(locale or locale_name(), available_translations())
    if name is None:
        return None
    path = i18n_dir() / f"segearth_{name}.qm"
    translator = QTranslator()
    if not translator.load(str(path)):
        return None
    QCoreApplication.installTranslator(translator)
    _translator = translator
    return str(path)


def remove_translator() -> None:
    global _translator
    from qtpy.QtCore import QCoreApplication

    if _translator is not None:
        QCoreApplication.removeTranslator(_translator)
        _translator = None
