#!/usr/bin/env bash
# Real QGIS desktop smoke test under Xvfb: a throw-away HOME and profile with the plugin deployed, the venv's
# site-packages on PYTHONPATH, scripts/qgis_smoke_startup.py run by `qgis --code`, a JSON report and a screenshot.
# Usage: desktop_smoke.sh [RASTER]   (default tests/data/rgbn.tif)
# Env: SEGEARTH_ARTIFACTS (default artifacts/, git-ignored), SEGEARTH_SMOKE_REPORT (default $SEGEARTH_ARTIFACTS/
#      desktop_smoke.json), SEGEARTH_TINY_MODEL (made if unset), SEGEARTH_SMOKE_TIMEOUT (default 420 s),
#      SEGEARTH_SMOKE_LOCALE (e.g. fr, zh_CN: run the UI in that language), KEEP_SMOKE_DIR=1 keeps the temp dir,
#      SEGEARTH_SMOKE_SCRIPT (default scripts/qgis_smoke_startup.py: what QGIS runs, e.g. qgis_faults_startup.py for
#      the fault cases, qgis_download_startup.py for the first run against a local hub).
# Exit: 0 report ok, 1 report says failed, 2 setup problem, 3 no report (crash or hang; QGIS killed).
set -uo pipefail
here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
root="$(cd "$here/.." && pwd)"
raster="$(realpath "${1:-$root/tests/data/rgbn.tif}")"
artifacts="$(mkdir -p "${SEGEARTH_ARTIFACTS:-$root/artifacts}" && cd "${SEGEARTH_ARTIFACTS:-$root/artifacts}" && pwd)"
report="${SEGEARTH_SMOKE_REPORT:-$artifacts/desktop_smoke.json}"
startup="$(realpath "${SEGEARTH_SMOKE_SCRIPT:-$here/qgis_smoke_startup.py}")"
limit="${SEGEARTH_SMOKE_TIMEOUT:-420}"
venv="$root/.venv"
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# PYTHONPATH does not run .pth files, so an editable (pip -e) engine needs its source folder named explicitly
engine_src="$("$venv/bin/python" -c 'import pathlib, segearth_engine; print(pathlib.Path(segearth_engine.__file__).parents[1])' 2>/dev/null || true)"
pythonpath="$site${engine_src:+:$engine_src}"

for tool in qgis xvfb-run timeout; do
    command -v "$tool" >/dev/null || { echo "desktop_smoke: $tool not found" >&2; exit 2; }
done
work="$(mktemp -d /tmp/segearth-smoke.XXXXXX)"
cleanup() { [ "${KEEP_SMOKE_DIR:-0}" = "1" ] || rm -rf "$work"; }
trap cleanup EXIT
home="$work/home"
profile="$home/.local/share/QGIS/QGIS3/profiles/default"
mkdir -p "$profile/QGIS"
{
    echo "[qgis]"
    echo "checkVersion=false"
    echo "allowNewsFeed=false"
    if [ -n "${SEGEARTH_SMOKE_LOCALE:-}" ]; then
        echo ""
        echo "[locale]"
        echo "overrideFlag=true"
        echo "userLocale=${SEGEARTH_SMOKE_LOCALE}"
    fi
} > "$profile/QGIS/QGIS3.ini"
SEGEARTH_BUILD_DIR="$work/build" "$here/deploy_plugin.sh" "$profile" || exit 2

model="${SEGEARTH_TINY_MODEL:-}"
if [ -z "$model" ] || [ ! -f "$model/config.json" ]; then
    model="$work/tiny-model"
    if ! "$venv/bin/segearth" make-tiny-model "$model" --seed 0 >"$work/make_model.log" 2>&1; then
        "$venv/bin/python" -c "import sys; from segearth_engine.tiny_models.r1 import make_tiny_model; make_tiny_model(sys.argv[1], seed=0)" \
            "$model" >>"$work/make_model.log" 2>&1 || { cat "$work/make_model.log" >&2; exit 2; }
    fi
fi
rm -f "$report"
# a parent pytest-qgis session exports its own settings folder; QGIS would read that instead of this profile
unset QGIS_CUSTOM_CONFIG_PATH QGIS_OPTIONS_PATH
echo "desktop_smoke: QGIS under Xvfb (timeout ${limit}s), raster $raster, model $model"
HOME="$home" XDG_RUNTIME_DIR="$work" GDAL_PAM_ENABLED=NO PYTHONPATH="$pythonpath" QT_QPA_PLATFORM=xcb \
SEGEARTH_SMOKE_RASTER="$raster" SEGEARTH_SMOKE_MODEL="$model" SEGEARTH_SMOKE_REPORT="$report" \
SEGEARTH_ARTIFACTS="$artifacts" SEGEARTH_SMOKE_TIMEOUT="$((limit - 60))" \
timeout -k 15 "$((limit + 30))" xvfb-run -a -s "-screen 0 1600x1000x24 -nolisten tcp" \
    timeout -k 10 "$limit" qgis --nologo --noversioncheck --code "$startup" \
    >"$work/qgis.log" 2>&1
rc=$?
cp "$work/qgis.log" "$artifacts/desktop_smoke_qgis.log" 2>/dev/null
if [ ! -f "$report" ]; then
    echo "desktop_smoke: no report (QGIS rc=$rc: crashed, hung or blocked by a dialog); log tail:" >&2
    tail -30 "$work/qgis.log" >&2
    exit 3
fi
cat "$report"
"$venv/bin/python" -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("ok") else 1)' "$report"
