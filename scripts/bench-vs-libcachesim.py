#!/usr/bin/env python3
"""Replay speed of tiersim against libCacheSim (the pinned `libcachesim` package's C
core), whole process, one policy at one size, on a sized trace; see benches/README.md.

    target/libcachesim-venv/bin/python scripts/bench-vs-libcachesim.py [TRACE] [--runs N]

Generates TRACE (default /tmp/zipf-sized.oracleGeneral.bin) when absent: 10 M
requests, Zipf(1.0) over 1 M objects, lognormal sizes (median 24 KiB, sigma 1.6, capped
at 16 MiB) fixed per object, next-access times filled in. The cache is 10% of the
distinct bytes. For each policy it times, best of N runs: `tiersim replay` as a process
(target/release/tiersim, absolute cache size so no counting pass), and a Python process
that imports libcachesim, opens the trace and runs `process_trace` (libCacheSim's C
loop), with the C loop's own time printed beside it. Both must report the same misses.
"""
import bisect
import os
import random
import struct
import subprocess
import sys
import time

REQUESTS = 10_000_000
OBJECTS = 1_000_000


def generate(path):
    rng = random.Random(15)
    cum, total = [], 0.0
    for k in range(1, OBJECTS + 1):
        total += 1.0 / k
        cum.append(total)
    sizes = [min(max(int(rng.lognormvariate(10.085, 1.6)), 1), 16 << 20) for _ in range(OBJECTS)]
    ids = [bisect.bisect_left(cum, rng.random() * total) for _ in range(REQUESTS)]
    nxt = [-1] * REQUESTS
    last = {}
    for i in range(REQUESTS - 1, -1, -1):
        nxt[i] = last.get(ids[i], -2) + 1  # 1-based virtual time, -1 for never
        last[ids[i]] = i
    rec = struct.Struct("<IQIq")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        buf = bytearray()
        for i in range(REQUESTS):
            buf += rec.pack(i // 1000, ids[i], sizes[ids[i]], nxt[i])
            if len(buf) > 1 << 24:
                f.write(buf)
                buf.clear()
        f.write(buf)
    os.rename(tmp, path)
    distinct = sum(sizes[i] for i in set(ids))
    return distinct


LCS = """
import sys, time, libcachesim as lcs
r = lcs.TraceReader(sys.argv[1], lcs.TraceType.ORACLE_GENERAL_TRACE, lcs.ReaderInitParam())
cls = {"lru": lcs.LRU, "s3fifo": lcs.S3FIFO}[sys.argv[2]]
c = cls(int(sys.argv[3]))
t = time.perf_counter()
mr, bmr = c.process_trace(r)
print(round(mr * 10_000_000), time.perf_counter() - t)
"""


def best(cmd, runs):
    walls, outs = [], []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        walls.append(time.perf_counter() - t)
        outs.append(out)
    i = min(range(runs), key=lambda k: walls[k])
    return walls[i], outs[i], sorted(walls)


def main():
    argv = sys.argv[1:]
    runs = 5
    if "--runs" in argv:
        k = argv.index("--runs")
        runs = int(argv[k + 1])
        del argv[k : k + 2]
    args = argv
    path = args[0] if args else "/tmp/zipf-sized.oracleGeneral.bin"
    meta = path + ".distinct"
    if not os.path.exists(path) or not os.path.exists(meta):
        print(f"generating {path} ...", file=sys.stderr)
        with open(meta, "w") as f:
            f.write(str(generate(path)))
    cache = int(int(open(meta).read()) * 0.1)
    tiersim = os.path.join(os.path.dirname(__file__), "..", "target", "release", "tiersim")
    print(f"trace {path}, cache {cache} B (10% of distinct bytes), best of {runs}")
    for policy in ["lru", "s3fifo"]:
        tw, tout, tall = best([tiersim, "replay", "--trace", path, "--policy", policy,
                               "--cache-size", str(cache)], runs)
        t_misses = int(tout.splitlines()[1].split(",")[4])
        lw, lout, lall = best([sys.executable, "-c", LCS, path, policy, str(cache)], runs)
        l_misses, l_loop = int(lout.split()[0]), float(lout.split()[1])
        same = "same misses" if t_misses == l_misses else f"MISSES DIFFER {t_misses} vs {l_misses}"
        print(f"{policy}: tiersim {tw:.2f} s (runs {', '.join(f'{w:.2f}' for w in tall)}); "
              f"libCacheSim process {lw:.2f} s (runs {', '.join(f'{w:.2f}' for w in lall)}), "
              f"its C loop {l_loop:.2f} s; speed-up {lw / tw:.1f}x whole process, "
              f"{l_loop / tw:.1f}x against the C loop alone; {same}")


if __name__ == "__main__":
    main()
