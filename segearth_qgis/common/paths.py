"""Where the plugin's data files live, in the installed zip layout and in the source tree."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # segearth_qgis/, above this room


def plugin_root() -> Path:
    """The folder holding metadata.txt: the plugin folder when installed, the repository root in development."""
    for candidate in (PACKAGE_DIR, PACKAGE_DIR.parent):
        if (candidate / "metadata.txt").is_file():
            return candidate
    return PACKAGE_DIR


def resource(name: str) -> str:
    """Absolute path of a file in resources/ (icons)."""
    return str(plugin_root() / "resources" / name)


def i18n_dir() -> Path:
    return plugin_root() / "i18n"


def read_metadata() -> dict[str, str]:
    """metadata.txt's [general] keys (version for reports and layer metadata)."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(plugin_root() / "metadata.txt", encoding="utf-8")
    return dict(parser["general"]) if parser.has_section("general") else {}
