#!/bin/bash
# Installs the pinned libCacheSim Python package (scripts/libcachesim-requirements.txt)
# into a virtual environment for tests/libcachesim_diff.rs, and prints its python.
#
#   scripts/libcachesim-venv.sh            # venv at target/libcachesim-venv
#   LIBCACHESIM_VENV=DIR scripts/libcachesim-venv.sh
#
# Idempotent: reinstalls only when the requirements file changed. The test finds the
# python at target/libcachesim-venv/bin/python, or in $TIERSIM_LIBCACHESIM_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
req=scripts/libcachesim-requirements.txt
venv=${LIBCACHESIM_VENV:-$repo/target/libcachesim-venv}
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/.requirements.txt" \
    || ! "$venv/bin/python" -c 'import libcachesim' 2>/dev/null; then
    echo "libcachesim-venv: installing $req into $venv" >&2
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
        # Debian ships venv separately; CI runs as root.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2
        fi
    fi
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --upgrade pip >&2
    "$venv/bin/pip" install --quiet -r "$req" >&2
    cp "$req" "$venv/.requirements.txt"
fi
echo "$venv/bin/python"
