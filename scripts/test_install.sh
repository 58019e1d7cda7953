#!/usr/bin/env bash
# What a new user does, end to end, in the real QGIS desktop under Xvfb (make test-install; not part of make test:
# pip downloads torch and friends, a few minutes):
#   1. a fresh HOME and QGIS profile, nothing from this checkout on any path, only dist/segearth_qgis.zip unpacked
#      into the profile's plugins and enabled;
#   2. QGIS start: the set-up dock must show; its "Install dependencies…" button and the dialog's Install are pressed;
#      pip installs into <profile>/python/segearth_deps/<key>;
#   3. QGIS restarted on that profile: a question asked through the dock with the tiny random test model; the result
#      vector layer is checked (scripts/qgis_smoke_startup.py).
# Writes artifacts/test_install.json with durations and the installed size. Exit 0 only when all of it worked.
# Env: SEGEARTH_ARTIFACTS, SEGEARTH_INSTALL_TIMEOUT (default 1500 s), SEGEARTH_QUESTION_TIMEOUT (default 360 s: the
#      first question exports the model's graphs too), KEEP_INSTALL_DIR=1 keeps the temp dir,
#      SEGEARTH_WHEELHOUSE=DIR installs offline from that folder of wheels (make wheelhouse) instead of the indexes.
set -uo pipefail
here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
root="$(cd "$here/.." && pwd)"
artifacts="$(mkdir -p "${SEGEARTH_ARTIFACTS:-$root/artifacts}" && cd "${SEGEARTH_ARTIFACTS:-$root/artifacts}" && pwd)"
limit="${SEGEARTH_INSTALL_TIMEOUT:-1500}"
question_limit="${SEGEARTH_QUESTION_TIMEOUT:-360}"
raster="$root/tests/data/rgbn.tif"
for tool in qgis xvfb-run timeout unzip; do
    command -v "$tool" >/dev/null || { echo "test_install: $tool not found" >&2; exit 2; }
done
work="$(mktemp -d /tmp/segearth-install.XXXXXX)"
cleanup() { [ "${KEEP_INSTALL_DIR:-0}" = "1" ] || rm -rf "$work"; }
trap cleanup EXIT
started=$(date +%s)

# the zip, exactly as `make package` builds it, and the tiny model (data; made with this checkout's engine)
"$root/.venv/bin/python" "$root/scripts/package_plugin.py" "$work/dist/segearth_qgis.zip" >"$work/package.log" 2>&1 \
    || { cat "$work/package.log" >&2; exit 2; }
PYTHONPATH="$root/engine" "$root/.venv/bin/python" -m segearth_engine.cli make-tiny-model "$work/tiny-model" --seed 0 \
    >"$work/model.log" 2>&1 || { cat "$work/model.log" >&2; exit 2; }

home="$work/home"
profile="$home/.local/share/QGIS/QGIS3/profiles/default"
mkdir -p "$profile/QGIS" "$profile/python/plugins"
printf '[qgis]\ncheckVersion=false\nallowNewsFeed=false\n' > "$profile/QGIS/QGIS3.ini"
unzip -q "$work/dist/segearth_qgis.zip" -d "$profile/python/plugins"
/usr/bin/python3 "$here/qgis_ini.py" "$profile/QGIS/QGIS3.ini" "PythonPlugins/segearth_qgis=true" >/dev/null

# a user's environment: no PYTHONPATH, no venv on PATH, a fresh HOME (fresh pip cache)
run_qgis() {  # run_qgis STARTUP_SCRIPT LOG TIMEOUT [VAR=VALUE...]
    local script="$1" log="$2" seconds="$3"; shift 3
    env -i PATH=/usr/bin:/bin HOME="$home" XDG_RUNTIME_DIR="$work" LANG=C.UTF-8 GDAL_PAM_ENABLED=NO PYTHONFAULTHANDLER=1 \
        QT_QPA_PLATFORM=xcb "$@" \
        timeout -k 15 "$((seconds + 30))" xvfb-run -a -s "-screen 0 1600x1000x24 -nolisten tcp" \
        timeout -k 10 "$seconds" qgis --nologo --noversioncheck --code "$script" >"$log" 2>&1
}
echo "test_install: QGIS 1/2 on a fresh profile: set-up dock, Install dependencies… (pip, up to ${limit}s)"
t1=$(date +%s)
run_qgis "$here/qgis_install_startup.py" "$work/qgis_install.log" "$((limit + 120))" \
    SEGEARTH_INSTALL_REPORT="$work/install.json" SEGEARTH_INSTALL_TIMEOUT="$limit" \
    ${SEGEARTH_WHEELHOUSE:+SEGEARTH_WHEELHOUSE="$(realpath "$SEGEARTH_WHEELHOUSE")"}
install_wall=$(( $(date +%s) - t1 ))
cp "$work/qgis_install.log" "$artifacts/test_install_qgis1.log" 2>/dev/null
[ -f "$work/install.json" ] || { echo "test_install: no install report" >&2; tail -30 "$work/qgis_install.log" >&2; exit 3; }
cp "$work/install.json" "$artifacts/test_install_step1.json"
deps="$(ls -d "$profile"/python/segearth_deps/py*-* 2>/dev/null | grep -v -e '\.staging$' -e 'constraints' | head -1)"
size=$(du -sb "$deps" 2>/dev/null | cut -f1)

echo "test_install: QGIS 2/2 restarted on that profile: a question through the dock with the tiny model"
t2=$(date +%s)
run_qgis "$here/qgis_smoke_startup.py" "$work/qgis_question.log" "$((question_limit + 60))" \
    SEGEARTH_SMOKE_RASTER="$raster" SEGEARTH_SMOKE_MODEL="$work/tiny-model" SEGEARTH_SMOKE_REPORT="$work/question.json" \
    SEGEARTH_ARTIFACTS="$artifacts" SEGEARTH_SMOKE_TIMEOUT="$question_limit"
question_wall=$(( $(date +%s) - t2 ))
cp "$work/qgis_question.log" "$artifacts/test_install_qgis2.log" 2>/dev/null
[ -f "$work/question.json" ] && cp "$work/question.json" "$artifacts/test_install_step2.json"

/usr/bin/python3 - "$work/install.json" "$work/question.json" "$artifacts/test_install.json" "$install_wall" \
    "$question_wall" "$(( $(date +%s) - started ))" "${size:-0}" "$deps" <<'PY'
import json, sys
from pathlib import Path
install = json.loads(Path(sys.argv[1]).read_text())
question = json.loads(Path(sys.argv[2]).read_text()) if Path(sys.argv[2]).is_file() else {"ok": False, "error": "no report"}
versions = question.get("versions", {})
summary = {
    "ok": bool(install.get("ok") and question.get("ok") and question.get("result_layer")
               and not versions.get("sys_path_has_venv") and versions.get("torch", "error").split(".")[0].isdigit()),
    "first_start_plugin": install.get("plugin"), "setup_dock_visible": install.get("dock_visible"),
    "install_ok": install.get("ok"), "summary": install.get("summary"), "install_outcome": install.get("outcome"), "pip_seconds": install.get("install_s"),
    "qgis1_wall_s": int(sys.argv[4]), "qgis2_wall_s": int(sys.argv[5]), "total_s": int(sys.argv[6]),
    "installed_bytes": int(sys.argv[7]), "installed_mb": round(int(sys.argv[7]) / 1e6), "private_folder": sys.argv[8],
    "question_ok": question.get("ok"), "result_layer": question.get("result_layer"),
    "feature_count": question.get("feature_count"), "fields": question.get("fields"), "device": question.get("device"),
    "torch": versions.get("torch"), "onnxruntime": versions.get("onnxruntime"), "qtpy": versions.get("qtpy"),
    "our_warnings": question.get("our_warnings"), "log_warnings": question.get("log_warnings"),
    "sys_path_has_venv": versions.get("sys_path_has_venv"), "error": install.get("error") or question.get("error"),
}
Path(sys.argv[3]).write_text(json.dumps(summary, indent=2))
print(json.dumps(summary, indent=2))
sys.exit(0 if summary["ok"] else 1)
PY
