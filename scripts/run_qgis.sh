#!/usr/bin/env bash
# Start the QGIS desktop with the SegEarth plugin installed and enabled, the model folder set, and RASTER loaded.
# Usage: run_qgis.sh [RASTER] [--prepare-only]
#   RASTER          default tests/data/rgbn.tif
#   --prepare-only  set up the profile and print the qgis command, but do not start QGIS
# The profile is project-local, so your own QGIS profiles and settings are never touched:
#   artifacts/qgis/profiles/segearth   (git-ignored; override the folder with SEGEARTH_QGIS_PROFILES=DIR,
#                                       the profile name with SEGEARTH_QGIS_PROFILE=NAME)
# To install into your everyday profile instead: `make deploy` (scripts/deploy_plugin.sh), then start qgis yourself.
# Env: SEGEARTH_MODEL (model folder shown in the dock; default models/tiny-random, the RANDOM-weight test model).
# QGIS runs with the venv's site-packages on PYTHONPATH (torch, transformers, onnxruntime, the engine); the geo stack
# (rasterio, shapely, pyproj, GDAL) is Debian's, the same libraries the qgis binary links, so nothing clashes.
set -euo pipefail
here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
root="$(cd "$here/.." && pwd)"
raster=""
prepare_only=0
for arg in "$@"; do
    case "$arg" in
        --prepare-only) prepare_only=1 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) raster="$arg" ;;
    esac
done
raster="${raster:-$root/tests/data/rgbn.tif}"
[ -f "$raster" ] || { echo "run_qgis: raster not found: $raster" >&2; exit 2; }
raster="$(realpath "$raster")"
command -v qgis >/dev/null || { echo "run_qgis: qgis not found (make setup installs Debian's qgis)" >&2; exit 2; }
venv="$root/.venv"
[ -x "$venv/bin/python" ] || { echo "run_qgis: $venv missing; run make setup" >&2; exit 2; }

profiles="${SEGEARTH_QGIS_PROFILES:-$root/artifacts/qgis}"
name="${SEGEARTH_QGIS_PROFILE:-segearth}"
mkdir -p "$profiles/profiles/$name/QGIS"
profiles="$(cd "$profiles" && pwd)"
profile="$profiles/profiles/$name"
model="${SEGEARTH_MODEL:-$root/models/tiny-random}"
[ -e "$model" ] && model="$(realpath "$model")"

SEGEARTH_BUILD_DIR="${SEGEARTH_BUILD_DIR:-$root/artifacts/plugin-build}" PYTHON="$venv/bin/python" \
    bash "$here/deploy_plugin.sh" "$profile"
# the dock's model folder, and no version check or news feed (no network here)
"$venv/bin/python" "$here/qgis_ini.py" "$profile/QGIS/QGIS3.ini" \
    "SegEarth/model_dir=$model" "qgis/checkVersion=false" "core/NewsFeed\\httpsfeedqgisorg\\disabled=true"

site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# PYTHONPATH does not run .pth files, so an editable (pip -e) engine needs its source folder named explicitly
engine_src="$("$venv/bin/python" -c 'import pathlib, segearth_engine; print(pathlib.Path(segearth_engine.__file__).parents[1])' 2>/dev/null || true)"
pythonpath="$site${engine_src:+:$engine_src}${PYTHONPATH:+:$PYTHONPATH}"
cmd=(qgis --profiles-path "$profiles" --profile "$name" --nologo --noversioncheck "$raster")

echo "run_qgis: profile $profile"
note=""
if [ ! -f "$model/config.json" ]; then
    note=" (missing: make run builds the tiny test model there; or choose a folder in the dock)"
elif grep -q segearth_engine "$model/config.json"; then
    note=" (TEST model with random weights: its polygons mean nothing)"
fi
echo "run_qgis: model   $model$note"
if [ "$prepare_only" = "1" ]; then
    echo "run_qgis: PYTHONPATH=$pythonpath ${cmd[*]}"
    exit 0
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "run_qgis: no display (DISPLAY is not set), so the QGIS desktop cannot open a window." >&2
    echo "  Run this from a graphical session (or ssh -X), or use 'make test' for the headless desktop smoke test" >&2
    echo "  (QGIS under Xvfb, screenshot in artifacts/). The profile above is ready; start QGIS later with:" >&2
    echo "  PYTHONPATH=$pythonpath ${cmd[*]}" >&2
    exit 2
fi
# the Makefile exports QT_QPA_PLATFORM=offscreen for the tests; a desktop window needs the real platform
if [ "${QT_QPA_PLATFORM:-}" = "offscreen" ]; then
    unset QT_QPA_PLATFORM
fi
unset QGIS_CUSTOM_CONFIG_PATH QGIS_OPTIONS_PATH  # set by pytest-qgis sessions; the profile above must win
echo "run_qgis: starting QGIS on $raster"
PYTHONPATH="$pythonpath" GDAL_PAM_ENABLED="${GDAL_PAM_ENABLED:-NO}" exec "${cmd[@]}"
