#!/bin/bash
# Merge the shard outputs of scripts/slurm/sweep.sbatch into OUTDIR/merged/.
#
#   scripts/slurm/merge.sh OUTDIR [MERGED]
#   sbatch --dependency=afterany:JOBID scripts/slurm/merge.sh OUTDIR   # as a Slurm job
#
# Fails (non-zero) if a shard is missing or did not finish: tiersim merge names the
# run with no result. Env: TIERSIM_BIN (default: target/release/tiersim).
#SBATCH --job-name=tiersim-merge
#SBATCH --cpus-per-task=1
#SBATCH --output=slurm-merge-%j.out
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 OUTDIR [MERGED]" >&2
    exit 2
fi
out=$1
merged=${2:-$out/merged}
bin=${TIERSIM_BIN:-${SLURM_SUBMIT_DIR:-.}/target/release/tiersim}
shopt -s nullglob
shards=("$out"/shard-*)
if [ ${#shards[@]} -eq 0 ]; then
    echo "$out: no shard-* folders to merge" >&2
    exit 1
fi
exec "$bin" merge "${shards[@]}" --out "$merged"
