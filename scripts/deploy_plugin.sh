#!/usr/bin/env bash
# Install the assembled plugin into a QGIS profile and enable it.
# Usage: deploy_plugin.sh [PROFILE_DIR] [--symlink]
#   PROFILE_DIR defaults to ~/.local/share/QGIS/QGIS3/profiles/default
#   --symlink links the assembled folder instead of copying (re-run package_plugin.py to refresh it)
# Also clears the plugin's crash watchdog entry so a previously killed QGIS does not keep it disabled.
set -euo pipefail
profile="${1:-$HOME/.local/share/QGIS/QGIS3/profiles/default}"
mode="${2:-copy}"
if [ "$profile" = "--symlink" ]; then
    profile="$HOME/.local/share/QGIS/QGIS3/profiles/default"
    mode="--symlink"
fi
here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
root="$(cd "$here/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
[ -x "$python" ] || python=python3
build="${SEGEARTH_BUILD_DIR:-$root/build/plugin}"

"$python" "$root/scripts/package_plugin.py" --out "$build" --no-zip >/dev/null
plugins="$profile/python/plugins"
mkdir -p "$plugins"
rm -rf "${plugins:?}/segearth_qgis"
if [ "$mode" = "--symlink" ]; then
    ln -s "$build/segearth_qgis" "$plugins/segearth_qgis"
else
    cp -r "$build/segearth_qgis" "$plugins/segearth_qgis"
fi

ini="$profile/QGIS/QGIS3.ini"
mkdir -p "$(cd "$profile" && pwd)/QGIS"
"$python" - "$ini" <<'PY'
import sys
from pathlib import Path

path = Path(sys.argv[1])
lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
out, in_section, done = [], False, False
for line in lines:
    stripped = line.strip()
    if stripped.startswith("["):
        if in_section and not done:
            blanks = 0
            while out and not out[-1].strip():
                out.pop()
                blanks += 1
            out += ["segearth_qgis=true"] + [""] * blanks
            done = True
        in_section = stripped == "[PythonPlugins]"
    elif in_section and (stripped.startswith("segearth_qgis=") or stripped.startswith("watchDog\\segearth_qgis")):
        continue
    out.append(line)
if in_section and not done:
    out.append("segearth_qgis=true")
    done = True
if not done:
    out += ["", "[PythonPlugins]", "segearth_qgis=true"]
path.write_text("\n".join(out) + "\n", encoding="utf-8")
PY
echo "deployed segearth_qgis to $plugins (enabled in $ini)"
