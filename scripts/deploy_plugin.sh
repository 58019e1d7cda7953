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
# enabled, and no crash-watchdog entry left by a killed QGIS (that entry would keep the plugin disabled)
"$python" "$here/qgis_ini.py" "$ini" "PythonPlugins/segearth_qgis=true" "-PythonPlugins/watchDog/segearth_qgis"
echo "deployed segearth_qgis to $plugins (enabled in $ini)"
