#!/bin/bash
# Wall-clock of the quickstart sweep with --jobs 1 and --jobs 2, alternated ROUNDS
# times (default 3) so that background load hits both alike; checks that every
# runs.csv is byte-identical. Prints per-round times (with the CPU pressure of the
# machine, /proc/pressure/cpu "some avg10"), the medians and the minima and their
# speedups. On a shared machine the minima are the estimate of uncontended times.
#
#   scripts/bench-sweep.sh [SPEC]          # ROUNDS=5 scripts/bench-sweep.sh
#
# QUIET=P (e.g. 10) waits, before each round, until the CPU pressure (avg10) is below
# P% (at most QUIET_WAIT seconds, default 600), so rounds run while the machine is
# otherwise idle.
set -euo pipefail
cd "$(dirname "$0")/.."
spec=${1:-configs/sweeps/quickstart-sweep.toml}
rounds=${ROUNDS:-3}
cargo build --release --quiet
bin=target/release/tiersim
work=$(mktemp -d "${TMPDIR:-/tmp}/tiersim-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

run() { # jobs round -> prints wall seconds
    local out=$work/j$1-r$2 t0 t1
    t0=$(date +%s.%N)
    "$bin" sweep "$spec" --jobs "$1" --out "$out" --quiet
    t1=$(date +%s.%N)
    awk "BEGIN { print $t1 - $t0 }"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

psi() { awk '/^some/ { sub("avg10=", "", $2); print $2 }' /proc/pressure/cpu 2>/dev/null || echo 0; }
wait_quiet() {
    [ -n "${QUIET:-}" ] || return 0
    local deadline=$((SECONDS + ${QUIET_WAIT:-600}))
    while awk "BEGIN { exit !($(psi) >= $QUIET) }" && [ $SECONDS -lt $deadline ]; do
        sleep 2
    done
}

j1=(); j2=()
for r in $(seq "$rounds"); do
    wait_quiet
    a=$(run 1 "$r"); b=$(run 2 "$r")
    j1+=("$a"); j2+=("$b")
    psi=$(psi)
    printf 'round %d: --jobs 1 %.2f s, --jobs 2 %.2f s (load %s, cpu pressure %s%%)\n' \
        "$r" "$a" "$b" "$(cut -d' ' -f1-3 /proc/loadavg)" "$psi"
done
for d in "$work"/j*; do
    cmp "$work/j1-r1/runs.csv" "$d/runs.csv"
done
m1=$(printf '%s\n' "${j1[@]}" | median); m2=$(printf '%s\n' "${j2[@]}" | median)
n1=$(printf '%s\n' "${j1[@]}" | sort -g | head -1); n2=$(printf '%s\n' "${j2[@]}" | sort -g | head -1)
printf 'median: --jobs 1 %.2f s, --jobs 2 %.2f s, speedup %.2fx\n' "$m1" "$m2" "$(awk "BEGIN { print $m1 / $m2 }")"
printf 'min:    --jobs 1 %.2f s, --jobs 2 %.2f s, speedup %.2fx\n' "$n1" "$n2" "$(awk "BEGIN { print $n1 / $n2 }")"
echo "all $((2 * rounds)) runs.csv byte-identical"
