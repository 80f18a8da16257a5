#!/bin/bash
# End-to-end test of the Slurm path: stand up a single-node Slurm (as
# ../shared/SLURM.md describes; Debian, root, no systemd), build tiersim, run the
# quickstart sweep locally and as a 4-task array job plus a dependent merge job, and
# compare the merged runs.csv with the local one byte for byte.
#
#   scripts/test-slurm.sh            # exit 0 on identical runs.csv, non-zero otherwise
#
# Idempotent: packages already installed are not reinstalled, a running munged /
# slurmctld / slurmd is reused (and left running); only the daemons this script
# started are stopped at the end, by pid. Env: TIMEOUT (seconds to wait for the jobs,
# default 900), SPEC (default configs/sweeps/quickstart-sweep.toml), KEEP=1 keeps the
# work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
spec=${SPEC:-configs/sweeps/quickstart-sweep.toml}
timeout=${TIMEOUT:-900}
tasks=4
started=()

log() { echo "test-slurm: $*" >&2; }

alive() { # pidfile
    [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

cleanup() {
    local rc=$?
    for pidfile in "${started[@]}"; do
        if alive "$pidfile"; then
            log "stopping $(basename "$pidfile" .pid) (pid $(cat "$pidfile"))"
            kill "$(cat "$pidfile")" || true
        fi
    done
    if [ -n "${work:-}" ] && [ "${KEEP:-0}" != 1 ] && [ $rc -eq 0 ]; then
        rm -rf "$work"
    elif [ -n "${work:-}" ]; then
        log "work folder kept: $work"
    fi
    exit $rc
}
trap cleanup EXIT

# --- 1. Slurm and munge, installed and running ------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    log "installing slurm-wlm and munge"
    for attempt in 1 2 3 4 5 6; do
        if apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge; then
            break
        fi
        [ $attempt -eq 6 ] && { log "apt-get failed"; exit 1; }
        log "apt-get failed (a held lock?); retrying"
        sleep 10
    done
fi

host=$(hostname -s)
cpus=$(nproc)
mkdir -p /etc/slurm /run/munge /run/slurm /var/spool/slurmd /var/spool/slurmctld /var/log/slurm
if [ ! -f /etc/slurm/slurm.conf ]; then
    log "writing /etc/slurm/slurm.conf for node $host ($cpus CPUs)"
    cat > /etc/slurm/slurm.conf <<CONF
# Single-node Slurm for tests, written by tiersim scripts/test-slurm.sh
ClusterName=local
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=$host CPUs=$cpus RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
fi
chown munge:munge /run/munge
chown slurm:slurm /run/slurm /var/spool/slurmctld /var/log/slurm

if ! alive /run/munge/munged.pid; then
    log "starting munged"
    runuser -u munge -- /usr/sbin/munged
    started+=(/run/munge/munged.pid)
fi
if ! alive /run/slurm/slurmctld.pid; then
    log "starting slurmctld"
    /usr/sbin/slurmctld
    started+=(/run/slurm/slurmctld.pid)
fi
if ! alive /run/slurm/slurmd.pid; then
    log "starting slurmd"
    /usr/sbin/slurmd
    started+=(/run/slurm/slurmd.pid)
fi

# Wait (bounded) for the partition to accept jobs.
deadline=$((SECONDS + 60))
until sinfo -h -o '%a %T' 2>/dev/null | grep -Eq '^up +(idle|mixed|allocated)'; do
    if [ $SECONDS -ge $deadline ]; then
        log "the partition did not come up:"; sinfo >&2 || true; exit 1
    fi
    sleep 0.5
done
log "slurm is up: $(sinfo -h -o '%P %a %T %c CPUs' | head -1)"

# --- 2. Build, local reference sweep ------------------------------------------------
log "building tiersim (release)"
cargo build --release --quiet
bin=$repo/target/release/tiersim
work=$(mktemp -d "${TMPDIR:-/tmp}/tiersim-slurm.XXXXXX")
chmod 755 "$work"
log "local sweep of $spec into $work/local"
"$bin" sweep "$spec" --out "$work/local" --jobs "$cpus" --quiet

# --- 3. Array job of $tasks shards, then a dependent merge job ----------------------
export TIERSIM_BIN=$bin
job=$(sbatch --parsable --array=0-$((tasks - 1)) --chdir="$repo" \
    --output="$work/slurm-%A_%a.out" \
    scripts/slurm/sweep.sbatch "$spec" "$work/slurm")
job=${job%%;*}
merge=$(sbatch --parsable --dependency=afterok:"$job" --chdir="$repo" \
    --output="$work/slurm-merge-%j.out" \
    scripts/slurm/merge.sh "$work/slurm")
merge=${merge%%;*}
log "submitted array job $job ($tasks tasks) and merge job $merge"

# Poll the queue until both jobs have left it (bounded).
deadline=$((SECONDS + timeout))
while [ -n "$(squeue -h -j "$job,$merge" -o '%i' 2>/dev/null)" ]; do
    if [ $SECONDS -ge $deadline ]; then
        log "timed out after ${timeout}s; queue:"; squeue >&2 || true
        scancel "$job" "$merge" || true
        exit 1
    fi
    sleep 1
done

# Every task and the merge must have COMPLETED (no accounting: ask scontrol).
states=$(scontrol -o show job "$job" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c)
mstate=$(scontrol -o show job "$merge" | grep -o 'JobState=[A-Z_]*')
log "array tasks: $(echo $states); merge: $mstate"
ncomplete=$(scontrol -o show job "$job" | grep -c 'JobState=COMPLETED' || true)
if [ "$ncomplete" -ne $tasks ] || [ "$mstate" != JobState=COMPLETED ]; then
    log "a job did not complete; logs:"
    tail -n 20 "$work"/slurm-*.out >&2 || true
    exit 1
fi

# --- 4. Compare ---------------------------------------------------------------------
if cmp "$work/local/runs.csv" "$work/slurm/merged/runs.csv"; then
    log "OK: merged runs.csv of the $tasks-task array is byte-identical to the local sweep's ($(($(wc -l < "$work/local/runs.csv") - 1)) runs)"
else
    log "MISMATCH between $work/local/runs.csv and $work/slurm/merged/runs.csv"
    diff "$work/local/runs.csv" "$work/slurm/merged/runs.csv" | head -20 >&2 || true
    KEEP=1
    exit 1
fi
