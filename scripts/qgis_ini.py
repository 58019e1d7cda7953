#!/usr/bin/env python3
"""Set or remove keys in a QGIS profile's QGIS3.ini (Qt's INI format) before QGIS starts, keeping everything else.

Usage: qgis_ini.py INI [GROUP/KEY=VALUE ...] [-GROUP/KEY ...]
  SegEarth/model_dir=/path      -> [SegEarth] model_dir=/path
  -PythonPlugins/watchDog/x     -> removes `watchDog\\x=...` from [PythonPlugins]
Why not QSettings: this runs before QGIS exists (and with a plain python), and must not reorder or drop the keys QGIS
wrote. Values are escaped the way QSettings reads them back (quotes for , ; = and edge spaces, \\x for non-ASCII).
"""

from __future__ import annotations

import sys
from pathlib import Path


def _split(path: str) -> tuple[str, str]:
    """'a/b/c' -> section 'a', key 'b\\c' (QSettings writes sub-groups inside a section with backslashes)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if len(parts) < 2:
        raise SystemExit(f"qgis_ini: {path!r} needs a group, e.g. SegEarth/model_dir")
    return parts[0], "\\".join(parts[1:])


def escape(value: str) -> str:
    """A string value as QSettings writes it, so that it reads back as the same single string."""
    out = []
    for char in value:
        if char in '\\"':
            out.append("\\" + char)
        elif ord(char) > 126 or ord(char) < 32:
            out.append(f"\\x{ord(char):04x}")
        else:
            out.append(char)
    text = "".join(out)
    if any(c in value for c in ",;=") or value != value.strip() or not value:
        text = f'"{text}"'
    return text


def update(lines: list[str], sets: dict[tuple[str, str], str], removes: set[tuple[str, str]]) -> list[str]:
    pending = dict(sets)
    out: list[str] = []
    section = None

    def flush(section_name: str | None) -> None:
        if section_name is None:
            return
        extra = [f"{key}={value}" for (sec, key), value in list(pending.items()) if sec == section_name]
        if extra:
            blanks = []
            while out and not out[-1].strip():
                blanks.append(out.pop())
            out.extend(extra + blanks)
            for sec_key in [k for k in pending if k[0] == section_name]:
                del pending[sec_key]

    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            flush(section)
            section = stripped[1:-1]
            out.append(line)
            continue
        if section is not None and "=" in stripped:
            key = stripped.split("=", 1)[0].strip()
            if (section, key) in removes:
                continue
            if (section, key) in pending:
                out.append(f"{key}={pending.pop((section, key))}")
                continue
        out.append(line)
    flush(section)
    for sec in dict.fromkeys(sec for sec, _ in pending):
        if out and out[-1].strip():
            out.append("")
        out.append(f"[{sec}]")
        out += [f"{key}={value}" for (s, key), value in pending.items() if s == sec]
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[0])
    sets: dict[tuple[str, str], str] = {}
    removes: set[tuple[str, str]] = set()
    for arg in argv[1:]:
        if arg.startswith("-"):
            removes.add(_split(arg[1:]))
        else:
            key, sep, value = arg.partition("=")
            if not sep:
                raise SystemExit(f"qgis_ini: {arg!r} is neither KEY=VALUE nor -KEY")
            sets[_split(key)] = escape(value)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(update(lines, sets, removes)) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
