#!/bin/bash
# Loads the HTML report of the quickstart run, of the quickstart sweep and of the
# three jobs on a 4-node cluster (configs/jobs-shared-cache.toml) in headless
# Chromium and fails if a page is blank, an image is broken, a figure did not render,
# a script error is logged, or the page requests anything from the network.
#
#   scripts/check-report-browser.sh
#
# Builds tiersim (release), runs configs/quickstart.toml,
# configs/sweeps/quickstart-sweep.toml and configs/jobs-shared-cache.toml (~8 s) with
# --report into target/report-check/, then
# runs scripts/check_report_browser.py (Python standard library only: it drives
# Chromium over the DevTools protocol, records every request each page makes, and
# checks a full-page screenshot, saved to target/report-check/shots/). It first checks
# that a blank page, a page without figures and a page that loads an image over http
# are each caught. Without Chromium it says so and exits 0, unless REQUIRE_BROWSER=1
# (as in .ci/run, which installs Debian's `chromium`).
# Env: CHROMIUM (path), SKIP_BUILD=1 to use an existing binary, REQUIRE_BROWSER=1.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
    if [ "${REQUIRE_BROWSER:-0}" = 1 ]; then
        echo "check-report-browser: no chromium found (apt-get install chromium)" >&2
        exit 1
    fi
    echo "check-report-browser: skipped: no chromium (apt-get install chromium to run it)"
    exit 0
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release --quiet
fi
bin=target/release/tiersim
out=target/report-check
rm -rf "$out"
mkdir -p "$out"
"$bin" run configs/quickstart.toml --out "$out/quickstart" --quiet --report
"$bin" sweep configs/sweeps/quickstart-sweep.toml --out "$out/quickstart-sweep" --quiet --report
"$bin" run configs/jobs-shared-cache.toml --out "$out/jobs" --quiet --report
echo "check-report-browser: $("$chromium" --version 2>/dev/null | tail -1)"
python3 scripts/check_report_browser.py --chromium "$chromium" --self-test \
    --shots "$out/shots" "$out/quickstart/report.html" "$out/quickstart-sweep/report.html" \
    "$out/jobs/report.html"
