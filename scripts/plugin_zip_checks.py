"""The official plugin repository's upload rules (plugins.qgis.org's validator), checked on our zip before release.

Mirrors qgis/qgis-django's plugins/validator.py: size <= 25 MB, one PEP 8 top folder with __init__.py, metadata.txt
and LICENSE, required metadata, no .pyc/__pycache__/.git/__MACOSX, no path tricks; plus the review rule that a
plugin holds no compiled binaries, and our own rule that `about` describes the install path that really exists.
"""

from __future__ import annotations

import configparser
import re
import zipfile
from pathlib import Path
from urllib.parse import urlparse

MAX_BYTES = 25_000_000
REQUIRED_METADATA = ("name", "description", "version", "qgisMinimumVersion", "author", "email", "about", "tracker",
                     "repository")
BINARY_SUFFIXES = (".so", ".pyd", ".dll", ".dylib", ".exe", ".pyc", ".pyo", ".o", ".a", ".lib", ".whl", ".egg")
#: ELF, PE (MZ), Mach-O (32/64, both byte orders, fat)
BINARY_MAGIC = (b"\x7fELF", b"MZ", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
                b"\xca\xfe\xba\xbe")
#: what `about` must name, because that is how the plugin really gets its dependencies
ABOUT_MUST_NAME = ("Install dependencies", "segearth_deps")
ABOUT_MUST_NOT_NAME = ("pip install", "segearth-engine Python package")


def check_zip(path: Path) -> list[str]:
    """Problems that would make plugins.qgis.org (or its reviewers) refuse the zip; empty when it is fine."""
    problems = []
    if path.stat().st_size > MAX_BYTES:
        problems.append(f"{path.name} is {path.stat().st_size} bytes, over the repository's {MAX_BYTES}")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if archive.testzip():
            problems.append("bad zip (CRC error)")
        tops = {name.split("/")[0] for name in names}
        if len(tops) != 1:
            return problems + [f"the zip must hold one top folder, not {sorted(tops)}"]
        top = tops.pop()
        if not re.match(r"^[a-z_][a-z0-9_]*$", top):
            problems.append(f"top folder {top!r} is not a PEP 8 package name")
        for name in names:
            parts = name.split("/")
            if ".." in name or name.startswith("/"):
                problems.append(f"path information in {name}")
            if any(part in ("__MACOSX", ".git", "__pycache__") for part in parts):
                problems.append(f"forbidden folder in {name}")
            if name.lower().endswith(BINARY_SUFFIXES):
                problems.append(f"compiled binary {name}")
            elif not name.endswith("/") and archive.read(name)[:4].startswith(BINARY_MAGIC) \
                    and not name.lower().endswith((".qm", ".png", ".svg")):
                problems.append(f"executable content in {name}")
        for required in ("__init__.py", "metadata.txt", "LICENSE"):
            if f"{top}/{required}" not in names:
                problems.append(f"{top}/{required} is missing")
        if f"{top}/metadata.txt" in names:
            problems += check_metadata(archive.read(f"{top}/metadata.txt").decode("utf-8"), names, top)
    return problems


def check_metadata(text: str, names: list[str], top: str) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read_string(text)
    if not parser.has_section("general"):
        return ["metadata.txt has no [general] section"]
    general = parser["general"]
    problems = [f"metadata lacks {key}" for key in REQUIRED_METADATA if not general.get(key, "").strip()]
    if "/" in general.get("author", ""):
        problems.append("author contains a slash")
    for key in ("tracker", "repository", "homepage"):
        url = urlparse(general.get(key, ""))
        if general.get(key) and not (url.scheme and url.netloc):
            problems.append(f"{key} is not a URL")
    icon = general.get("icon", "").removeprefix("./")
    if icon and f"{top}/{icon}" not in names:
        problems.append(f"icon {icon} is not in the zip")
    about = general.get("about", "")
    problems += [f"about does not name {word!r}" for word in ABOUT_MUST_NAME if word not in about]
    problems += [f"about names {word!r}, which is not how the plugin installs" for word in ABOUT_MUST_NOT_NAME
                 if word in about]
    return problems
