#!/usr/bin/env bash
# Compile i18n/*.ts into i18n/*.qm with Qt's lrelease (Debian: qttools5-dev-tools; Qt6: lrelease6/lrelease-qt6).
# Without lrelease it says so and exits 0 with no .qm written, unless SEGEARTH_REQUIRE_LRELEASE=1 (then exits 3):
# the plugin still runs, in English.
set -euo pipefail
here="${BASH_SOURCE[0]%/*}"; [ "$here" = "${BASH_SOURCE[0]}" ] && here=.
root="$(cd "$here/.." && pwd)"
lrelease=""
# LRELEASE=path forces one binary (and only that one is tried)
candidates=(lrelease lrelease-qt5 lrelease6 lrelease-qt6 /usr/lib/qt5/bin/lrelease /usr/lib/qt6/bin/lrelease)
[ -n "${LRELEASE:-}" ] && candidates=("$LRELEASE")
for candidate in "${candidates[@]}"; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
        lrelease="$candidate"
        break
    fi
done
if [ -z "$lrelease" ]; then
    echo "compile_translations: lrelease not found (apt-get install qttools5-dev-tools); no .qm written," \
         "the plugin will show English" >&2
    [ "${SEGEARTH_REQUIRE_LRELEASE:-0}" = "1" ] && exit 3
    exit 0
fi
shopt -s nullglob
sources=("$root"/i18n/*.ts)
if [ ${#sources[@]} -eq 0 ]; then
    echo "compile_translations: no .ts files in $root/i18n" >&2
    exit 1
fi
for ts in "${sources[@]}"; do
    "$lrelease" -silent "$ts" -qm "${ts%.ts}.qm"
    echo "compiled ${ts%.ts}.qm"
done
