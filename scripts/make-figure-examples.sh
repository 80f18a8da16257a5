#!/bin/bash
# Regenerates the example figures of docs/figures.md (docs/figures/*.png), one per
# plot kind, at 150 dpi so they stay small in the repository (a paper figure is the
# same drawing at 300 dpi: every size scales with --dpi).
#
#   scripts/make-figure-examples.sh
#
# Runs configs/quickstart.toml, configs/imagenet-resnet50.toml (~11 s),
# configs/jobs-shared-cache.toml (~8 s), a 16-node cluster (written here) and the
# quickstart sweep into target/figure-examples/, replays a generated Zipf trace, and
# draws each figure with `tiersim plot`. Deterministic: the same build gives the same
# images. Env: SKIP_BUILD=1 to use an existing binary.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release --quiet
fi
t=target/release/tiersim
work=target/figure-examples
docs=docs/figures
rm -rf "$work"
mkdir -p "$work" "$docs"
look=(--dpi 150)

$t run configs/quickstart.toml --out "$work/quickstart" --quiet
$t run configs/imagenet-resnet50.toml --out "$work/imagenet" --quiet
$t sweep configs/sweeps/quickstart-sweep.toml --out "$work/sweep" --quiet
$t run configs/jobs-shared-cache.toml --out "$work/jobs" --quiet
# 16 nodes of 2 GPUs training on one dataset (3 epochs of 100,000 samples of 100 KB)
# through a cluster-scope DRAM cache (each object on its hash owner) in front of
# shared NVMe storage behind its own NIC, across a 100 GB/s spine.
cat >"$work/cluster16.toml" <<'EOF'
seed = 3
[cluster]
fabric = "spine"
[[cluster.nodes]]
name = "gpu"
count = 16
gpus = 2
nic = "nic"
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "2GiB"
scope = "cluster"
eviction = "minio"
[[tiers]]
name = "storage"
preset = "nvme-tlc-pcie4"
link = "storage-nic"
[[links]]
name = "nic"
preset = "rdma-100g"
scope = "node"
[[links]]
name = "storage-nic"
preset = "rdma-100g"
[[links]]
name = "spine"
preset = "rdma-100g"
read_bandwidth = "100GB/s"
[workload]
kind = "training"
dataset = { samples = 100000, size = "100KB" }
epochs = 3
batch_size = 32
workers = 4
compute = { per_batch = "10ms" }
params = 1_000_000
sync = { kind = "ring" }
EOF
$t run "$work/cluster16.toml" --out "$work/cluster16" --quiet
$t trace gen --kind zipf --objects 20000 --requests 400000 --alpha 0.9 \
    --seed 1 --out "$work/zipf.csv" 2>/dev/null
$t replay --trace "$work/zipf.csv" --ignore-size --policy lru,fifo,clock,s3fifo,arc \
    --cache-frac 0.002,0.005,0.01,0.02,0.05,0.1,0.2,0.5 --out "$work/replay.csv" >/dev/null

$t plot latency-cdf "$work/quickstart" --out "$docs/latency-cdf.png" "${look[@]}"
$t plot tier-timeseries "$work/imagenet" --out "$docs/tier-timeseries.png" "${look[@]}"
$t plot tier-timeseries "$work/imagenet" --bin 76.5 \
    --out "$docs/tier-timeseries-epochs.png" "${look[@]}"
$t plot tier-timeseries "$work/imagenet" --from 1000 --to 1400 --y-percentile 99 \
    --width two-column --out "$docs/tier-timeseries-window.png" "${look[@]}"
$t plot stall "$work/imagenet" --out "$docs/stall.png" "${look[@]}"
$t plot mrc "$work/replay.csv" --out "$docs/mrc.png" "${look[@]}"
$t plot job-stall "$work/jobs" --out "$docs/job-stall.png" "${look[@]}"
$t plot stall "$work/jobs" --out "$docs/stall-jobs.png" "${look[@]}"
$t plot node-nic "$work/jobs" --out "$docs/node-nic.png" "${look[@]}"
$t plot node-nic "$work/cluster16" --out "$docs/node-nic-spread.png" "${look[@]}"
$t plot node-served "$work/cluster16" --out "$docs/node-served.png" "${look[@]}"
$t plot runs "$work/sweep/runs.csv" --x "tiers[0].capacity" --y tier.dram.hit_ratio \
    --series "tiers[0].eviction" --where workload.alpha=0.99 --ylabel "DRAM hit ratio" \
    --xlabel "DRAM capacity" --title "DRAM hit ratio, Zipf alpha 0.99" \
    --out "$docs/runs-lines.png" "${look[@]}"
$t plot runs "$work/sweep/runs.csv" --x "tiers[0].capacity" --y workload.alpha \
    --heatmap tier.dram.hit_ratio --where "tiers[0].eviction=lru" \
    --xlabel "DRAM capacity" --ylabel "Zipf alpha" --title "DRAM hit ratio (LRU)" \
    --out "$docs/runs-heatmap.png" "${look[@]}"
ls -l "$docs"
