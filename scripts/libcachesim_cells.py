#!/usr/bin/env python3
"""Runs libCacheSim (the PyPI `libcachesim` package's C core) on one oracleGeneral
trace for a list of (policy, cache size, unit-size mode) cells and writes what it
counted as JSON. Used by tests/libcachesim_diff.rs; see docs/replay.md.

    python libcachesim_cells.py SPEC.json OUT.json

SPEC.json: {"trace": PATH, "cells": [{"policy": "lru", "cache_size": N,
"ignore_size": false}, ...]} with tiersim's policy names. OUT.json: {"version",
"modes": {"sized"|"unit": {"requests", "bytes_requested", "distinct_objects",
"distinct_bytes"}}, "cells": [{"policy", "cache_size", "ignore_size", "requests",
"misses", "bytes_requested", "bytes_missed"}, ...]}; a cell whose cache libCacheSim
refuses to build has "refused": true instead of counts.

Each cell is one libCacheSim cache fed the whole trace by libCacheSim's own reader and
loop (`cache.process_trace`, the C `get` per request, as `cachesim` does). That loop
returns the miss ratio and byte miss ratio; the counts are recovered as
round(ratio x total), exact while the totals stay below 2^52 (checked).
"""
import json
import os
import sys

import libcachesim as lcs


# Initial hash table size (log2). libCacheSim's default, 24, allocates 128 MB per
# cache; its tables grow as needed, and no policy compared here depends on it.
HASHPOWER = 16


def make_cache(policy, size):
    """The libCacheSim cache for tiersim's policy name, with libCacheSim's defaults."""
    h = {"hashpower": HASHPOWER}
    table = {
        "lru": lambda: lcs.LRU(size, **h),
        "fifo": lambda: lcs.FIFO(size, **h),
        "lfu": lambda: lcs.LFU(size, **h),
        "arc": lambda: lcs.ARC(size, **h),
        "clock": lambda: lcs.Clock(size, **h),
        # tiersim's clock-n defaults to 2 bits.
        "clock-n": lambda: lcs.Clock(size, n_bit_counter=2, **h),
        "twoq": lambda: lcs.TwoQ(size, **h),
        "s3fifo": lambda: lcs.S3FIFO(size, **h),
        "sieve": lambda: lcs.Sieve(size, **h),
        "lirs": lambda: lcs.LIRS(size, **h),
        "belady": lambda: lcs.Belady(size, **h),
    }
    if policy not in table:
        raise SystemExit(f"libcachesim_cells: no libCacheSim counterpart for '{policy}'")
    return table[policy]()


PROBE_BELOW = 1000


def refused(policy, size):
    """Whether libCacheSim refuses to build this cache: some of its policies exit the
    process on a configuration they reject (S3FIFO with a small queue of 0 bytes), so
    caches under PROBE_BELOW bytes (or objects) are first built in a forked child."""
    if size >= PROBE_BELOW:
        return False
    pid = os.fork()
    if pid == 0:
        try:
            make_cache(policy, size)
            code = 0
        except BaseException:
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0)


def reader(path, ignore_size):
    params = lcs.ReaderInitParam(ignore_obj_size=ignore_size)
    return lcs.TraceReader(path, lcs.TraceType.ORACLE_GENERAL_TRACE, params)


def totals(r):
    """Requests and requested bytes as libCacheSim's reader delivers them."""
    r.reset()
    n = b = 0
    for req in r:
        n += 1
        b += req.obj_size
    r.reset()
    return n, b


def count(ratio, total, what):
    value = ratio * total
    exact = round(value)
    if total >= 2**52 or abs(value - exact) > 1e-3:
        raise SystemExit(f"libcachesim_cells: {what} {value} is not an integer count")
    return exact


def main():
    spec_path, out_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    path = spec["trace"]
    modes = {}
    readers = {}
    for ignore in sorted({c["ignore_size"] for c in spec["cells"]}):
        r = reader(path, ignore)
        n, b = totals(r)
        objects, distinct_bytes = r.get_working_set_size()
        r.reset()
        readers[ignore] = (r, n, b)
        modes["unit" if ignore else "sized"] = {
            "requests": n,
            "bytes_requested": b,
            "distinct_objects": objects,
            "distinct_bytes": distinct_bytes,
        }
    cells = []
    for c in spec["cells"]:
        r, n, b = readers[c["ignore_size"]]
        if refused(c["policy"], int(c["cache_size"])):
            cells.append(dict(c, refused=True))
            continue
        cache = make_cache(c["policy"], int(c["cache_size"]))
        r.reset()
        miss_ratio, byte_miss_ratio = cache.process_trace(r)
        what = f"{c['policy']} at {c['cache_size']}"
        cells.append(
            {
                "policy": c["policy"],
                "cache_size": c["cache_size"],
                "ignore_size": c["ignore_size"],
                "requests": n,
                "misses": count(miss_ratio, n, what + " misses"),
                "bytes_requested": b,
                "bytes_missed": count(byte_miss_ratio, b, what + " bytes missed"),
            }
        )
    out = {"version": lcs.__version__, "modes": modes, "cells": cells}
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
