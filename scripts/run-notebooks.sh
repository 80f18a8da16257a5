#!/bin/bash
# Executes every notebook in notebooks/ headless, failing if any cell fails.
#
#   scripts/run-notebooks.sh [NOTEBOOK.ipynb ...]
#
# Builds tiersim (release), installs notebooks/requirements.txt into a virtual
# environment (target/notebooks-venv, or $NOTEBOOK_VENV), and runs
# `jupyter nbconvert --to notebook --execute` on each notebook, writing the executed
# copies to a temporary folder (printed; removed on success unless KEEP=1). The
# notebooks find the binary through TIERSIM_BIN (set here) and the shared data through
# TIERSIM_SHARED_DATA or ../shared/data (they generate a trace when it is absent).
# Env: TIMEOUT per cell in seconds (default 900), SKIP_BUILD=1 to use an existing binary.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release --quiet
fi
export TIERSIM_BIN=${TIERSIM_BIN:-$repo/target/release/tiersim}

venv=${NOTEBOOK_VENV:-$repo/target/notebooks-venv}
if [ ! -x "$venv/bin/jupyter" ] || ! cmp -s notebooks/requirements.txt "$venv/.requirements.txt"; then
    echo "run-notebooks: installing notebooks/requirements.txt into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet -r notebooks/requirements.txt
    cp notebooks/requirements.txt "$venv/.requirements.txt"
fi
export PATH=$venv/bin:$PATH
export MPLBACKEND=${MPLBACKEND:-module://matplotlib_inline.backend_inline}

out=$(mktemp -d "${TMPDIR:-/tmp}/tiersim-notebooks.XXXXXX")
if [ $# -gt 0 ]; then
    books=("$@")
else
    books=(notebooks/*.ipynb)
fi
failed=0
for nb in "${books[@]}"; do
    echo "run-notebooks: executing $nb" >&2
    if ! jupyter nbconvert --to notebook --execute \
        --ExecutePreprocessor.timeout="${TIMEOUT:-900}" \
        --ExecutePreprocessor.kernel_name=python3 \
        --output-dir "$out" "$nb"; then
        echo "run-notebooks: FAILED: $nb" >&2
        failed=1
    fi
done
if [ $failed -ne 0 ]; then
    echo "run-notebooks: executed copies kept in $out" >&2
    exit 1
fi
echo "run-notebooks: all ${#books[@]} notebook(s) ran; executed copies in $out" >&2
[ "${KEEP:-0}" = 1 ] || rm -rf "$out"
