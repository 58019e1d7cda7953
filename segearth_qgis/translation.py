"""Translation: one Qt context for the whole plugin, and the translator installed from QGIS's locale."""

from __future__ import annotations

CONTEXT = "SegEarth"
_translator = None


def tr(text: str) -> str:
    """Translate a UI string (all UI strings go through here so that the .ts files can list them)."""
    try:
        from qtpy.QtCore import QCoreApplication
    except ImportError:  # qtpy not installed yet: the set-up dock and the installer still speak the user's language
        from qgis.PyQt.QtCore import QCoreApplication

    return QCoreApplication.translate(CONTEXT, text)


def locale_name() -> str:
    """QGIS's UI locale ("fr", "zh_CN", ...), honouring the override in the QGIS options."""
    from qgis.core import QgsSettings
    from qtpy.QtCore import QLocale

    settings = QgsSettings()
    if settings.value("locale/overrideFlag", False, type=bool):
        return str(settings.value("locale/userLocale", "") or "en")
    return QLocale.system().name()


def install_translator(locale: str | None = None) -> str | None:
    """Load i18n/segearth_<locale>.qm (falling back to the language alone); returns the file loaded, if any."""
    global _translator
    from qtpy.QtCore import QCoreApplication, QTranslator

    from .paths import i18n_dir

    locale = locale or locale_name()
    for name in (locale, locale.split("_")[0]):
        path = i18n_dir() / f"segearth_{name}.qm"
        if path.is_file():
            translator = QTranslator()
            if translator.load(str(path)):
                remove_translator()
                QCoreApplication.installTranslator(translator)
                _translator = translator
                return str(path)
    return None


def remove_translator() -> None:
    global _translator
    from qtpy.QtCore import QCoreApplication

    if _translator is not None:
        QCoreApplication.removeTranslator(_translator)
        _translator = None
