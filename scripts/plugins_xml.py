"""plugins.xml for a custom plugin repository (QGIS Plugin Manager > Settings > Add…), next to the zip."""

from __future__ import annotations

import configparser
import datetime
from pathlib import Path
from xml.etree import ElementTree

#: metadata.txt key -> plugins.xml element, as plugins.qgis.org writes them
ELEMENTS = (("description", "description"), ("about", "about"), ("version", "version"),
            ("qgisMinimumVersion", "qgis_minimum_version"), ("qgisMaximumVersion", "qgis_maximum_version"),
            ("homepage", "homepage"), ("icon", "icon"), ("author", "author_name"), ("tracker", "tracker"),
            ("repository", "repository"), ("tags", "tags"), ("experimental", "experimental"),
            ("deprecated", "deprecated"), ("supportsQt6", "supports_qt6"))


def write_plugins_xml(metadata_path: Path, zip_path: Path, out: Path, base_url: str | None = None) -> Path:
    """One <pyqgis_plugin> entry; download_url is `base_url`/zip name, or the zip's file:// URL for a local folder."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(metadata_path, encoding="utf-8")
    general = parser["general"]
    plugin_id = zip_path.stem.split("-")[0]
    root = ElementTree.Element("plugins")
    entry = ElementTree.SubElement(root, "pyqgis_plugin", name=general["name"], version=general["version"],
                                   plugin_id=plugin_id)
    for key, tag in ELEMENTS:
        ElementTree.SubElement(entry, tag).text = general.get(key, "").strip()
    url = f"{base_url.rstrip('/')}/{zip_path.name}" if base_url else zip_path.resolve().as_uri()
    ElementTree.SubElement(entry, "file_name").text = zip_path.name
    ElementTree.SubElement(entry, "download_url").text = url
    ElementTree.SubElement(entry, "uploaded_by").text = general.get("author", "")
    today = datetime.date.today().isoformat()
    ElementTree.SubElement(entry, "create_date").text = today
    ElementTree.SubElement(entry, "update_date").text = today
    ElementTree.SubElement(entry, "server").text = "False"
    ElementTree.SubElement(entry, "external_dependencies").text = ""
    ElementTree.indent(root)
    out.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n",
                   encoding="utf-8")
    return out
