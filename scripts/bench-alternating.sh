#!/usr/bin/env bash
# Wall time and peak memory of two tiersim binaries on one config, run alternately
# (A, B, A, B, ...) so that both see the same machine; then whether their summary.json
# files are byte-identical. Take the median of each column.
# usage: scripts/bench-alternating.sh BINARY_A BINARY_B CONFIG [RUNS]
set -eu
a=$1; b=$2; cfg=$3; n=${4:-3}
out=$(mktemp -d)
for i in $(seq 1 "$n"); do
  for x in a b; do
    bin=${!x}
    /usr/bin/time -f "$x %e s %M KB" "$bin" run "$cfg" --out "$out/$x" --quiet 2>&1 >/dev/null | tail -1
  done
done
if cmp -s "$out/a/summary.json" "$out/b/summary.json"; then
  echo "summary.json identical"
else
  echo "summary.json differs"
fi
rm -rf "$out"
