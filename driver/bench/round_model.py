#!/usr/bin/env python3
"""The model of driver/BENCHMARKS.md: fits round latency against the measured table written by
deploy/bin/fovea-bench-rounds, checks it, and extrapolates both averaging strategies to 256
workers.

    python3 driver/bench/round_model.py deploy/target/bench-rounds.md

Per strategy and row, V is the bytes the round moved in all (measured): tree = task results to
the driver + one copy of the broadcast per executor; sharded = shuffle bytes written (each is read
once). On one host every byte is handled by the same 2 cores, so the fit is
    T = a + b*N + c*V        (least squares over all rows of the strategy)
c is then this host's cost per byte moved, b its cost per executor (tasks, blocks). The 256-worker
model (printed last) puts each term where it runs on a real cluster: per-worker terms in parallel,
driver terms in series.
"""
import math
import sys


def rows(path):
    out = []
    for line in open(path):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        # 11 cells at first; 13 with allreduce (in-task sync, group fixed cost); 14 with block manager
        # bytes; 16 with in-task remote transfers and page faults
        if len(cells) not in (11, 13, 14, 16) or not cells[1].replace(",", "").isdigit():
            continue
        num = lambda s: float(s.replace(",", ""))
        out.append(dict(model=cells[0], params=num(cells[1]), strategy=cells[2], state=cells[3],
                        n=int(cells[4]), ms=num(cells[5]), results=num(cells[8]), broadcast=num(cells[9]),
                        shuffle=num(cells[10])))
    return out


def moved(r):
    if r["strategy"] == "tree":
        return r["results"] + r["n"] * r["broadcast"]
    if r["strategy"] == "allreduce":
        # block manager traffic, which no counter reports: 2 (N-1)/N of the vector out of each worker
        # (raw slices, then the averaged one) and as much in; the start broadcast per round of the group
        return 8 * floats(r) * (r["n"] - 1) + r["n"] * r["broadcast"]
    return r["shuffle"]


def solve(a, y):
    """Least squares by the normal equations (3 unknowns)."""
    k = len(a[0])
    m = [[sum(x[i] * x[j] for x in a) for j in range(k)] + [sum(x[i] * t for x, t in zip(a, y))] for i in range(k)]
    for i in range(k):
        p = max(range(i, k), key=lambda r: abs(m[r][i]))
        m[i], m[p] = m[p], m[i]
        for r in range(k):
            if r != i:
                f = m[r][i] / m[i][i]
                m[r] = [u - f * v for u, v in zip(m[r], m[i])]
    return [m[i][k] / m[i][i] for i in range(k)]


def tree_partials(n, depth=2):
    """How many partial sums Spark's treeAggregate(depth 2) sends to the driver for n partitions."""
    scale = max(math.ceil(n ** (1.0 / depth)), 2)
    parts = n
    while parts > scale + math.ceil(parts / scale):
        parts //= scale
    return parts


def fit(rs):
    """T = a + b*N + c*V by least squares; b is held at 0 where the free fit makes it negative."""
    a, b, c = solve([[1.0, r["n"], moved(r)] for r in rs], [r["ms"] for r in rs])
    if b < 0:
        a, c = solve([[1.0, moved(r)] for r in rs], [r["ms"] for r in rs])
        b = 0.0
    return a, b, c


def floats(r):
    """S: floats averaged per worker (buffers, under 0.5% of S for these models, left out)."""
    return r["params"] * (2 if r["state"] == "averaged" else 1)


def bytes_check(data):
    """The byte counts the strategies' algorithms predict, against the measured ones."""
    print("bytes per round, measured / predicted:")
    print("  tree results = 8 S m(N) (m = treeAggregate partials reaching the driver), broadcast = 4 S;")
    print("  sharded shuffle = N (4 S all-gather + 8 S reduce-scatter in double, before lz4), results ~ 6 kB N")
    print("  (rows measured since 2026-12-04 carry floats: tree results 4 S per one-worker partial, sharded")
    print("  shuffle 8 S N with no lz4; model_256 below uses those)")
    worst = {}
    for r in data:
        s_, n = floats(r), r["n"]
        if r["strategy"] == "tree":
            checks = {"results": (r["results"], 8 * s_ * tree_partials(n)), "broadcast": (r["broadcast"], 4 * s_)}
        elif r["strategy"] == "allreduce":
            continue  # its block manager traffic has no Spark counter; broadcast and results are per group
        else:
            checks = {"shuffle": (r["shuffle"], 12 * s_ * n), "results/N": (r["results"] / n, 6000)}
        for k, (m, p) in checks.items():
            key = r["strategy"] + " " + k
            lo, hi = worst.get(key, (9e9, 0))
            worst[key] = (min(lo, m / p), max(hi, m / p))
    for k, (lo, hi) in worst.items():
        print(f"  {k}: measured / predicted {lo:.2f} .. {hi:.2f} over {len(data) // 2} rows")


def model_256(label, c_ms_per_mb, task_ms, block_ms, rounds_per_job=32):
    """Round time and bytes at N workers; per-worker terms in parallel, driver terms in series.

    Bytes as the strategies move them since 2026-12-04: floats while a partial holds one worker
    (tree: 4 S per worker result, 8 S per double partial of treeAggregate's intermediate level;
    sharded: 4 S all-gather + 4 S reduce-scatter out of each worker, the same in, no lz4), one job of
    3 task sets of N for a sharded round. allreduce: 2 (N-1)/N x 4S out of each worker and as much in
    (full duplex: the time of one direction), 2 (N-1) blocks fetched one after the other by each worker
    (N-1 raw slices, N-1 averaged ones), and per group of R rounds one job of N tasks, the start
    state's broadcast (4 S, torrent) and the averaged state back (4 S) on the driver.
    """
    c = c_ms_per_mb / 1e6
    print(f"\n256-worker model, {label}: {c_ms_per_mb} ms per MB a JVM handles, {task_ms} ms per task the driver "
          f"schedules, {block_ms} ms per shuffle block fetched")
    print("| model | optimizer state | N | tree: driver bytes/round | tree: round s | sharded: driver bytes/round | "
          f"sharded: bytes in+out per worker/round | sharded: round s | allreduce: bytes in+out per worker/round | "
          f"allreduce: round s ({rounds_per_job} rounds per job) | allreduce --exchange bf16: round s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, p in (("lenet", 431_080), ("resnet50", 25_557_032)):
        for state, s_ in (("averaged", 2 * p), ("local", p)):
            for n in (16, 64, 256):
                m = tree_partials(n)
                # tree: broadcast (driver sends 4S; torrent relays it in about log2 N piece hops),
                # intermediate level (sqrt N reducers, each receiving sqrt N results of 4S), the
                # driver receiving and merging m partials one after the other (8S each where an
                # intermediate level summed them, 4S where each is one worker's result)
                level = 4 * s_ * math.sqrt(n) if m < n else 0
                partial = 8 * s_ if m < n else 4 * s_
                tree_s = (c * (4 * s_ * math.log2(n) + level + partial * m) + task_ms * (n + m)) / 1e3
                tree_driver = partial * m + 4 * s_
                # sharded: per worker 8S out and 8S in, in parallel with every other worker (full
                # duplex: the time of 8S), N blocks fetched per shuffle; the driver schedules 3 task
                # sets of N
                per_worker = 16 * s_
                sh_s = (c * per_worker / 2 + block_ms * 2 * n + task_ms * 3 * n) / 1e3
                # allreduce: per worker 2 (N-1)/N x 4S each way, 2 (N-1) blocks fetched in series;
                # per group one job of N tasks, the broadcast (log2 N hops) and the state back
                ar_worker = 2 * (n - 1) / n * 4 * s_
                ar_s = (c * ar_worker + block_ms * 2 * (n - 1)
                        + (task_ms * n + c * 4 * s_ * (math.log2(n) + 1)) / rounds_per_job) / 1e3
                # bf16: the same blocks at 2 bytes a value (the group's broadcast and state back stay
                # f32); the encoding's CPU is left out (~1.5 ns a value measured on this host)
                bf_s = ar_s - c * ar_worker / 2 / 1e3
                print(f"| {name} | {state} | {n} | {tree_driver / 1e9:.2f} GB | {tree_s:.1f} | "
                      f"{6_000 * n / 1e6:.2f} MB | {per_worker / 1e6:.0f} MB | {sh_s:.1f} | "
                      f"{2 * ar_worker / 1e6:.0f} MB | {ar_s:.2f} | {bf_s:.2f} |")


def main(path):
    data = rows(path)
    bytes_check(data)
    fits = {}
    print()
    for strategy in ("tree", "sharded", "allreduce"):
        rs = [r for r in data if r["strategy"] == strategy]
        if len(rs) < 3:
            continue
        a, b, c = fit(rs)
        fits[strategy] = (a, b, c)
        print(f"{strategy}: T = {a:.0f} ms + {b:.1f} ms x N + {c * 1e6:.2f} ms/MB x V   ({len(rs)} rows)")
        for r in rs:
            pred = a + b * r["n"] + c * moved(r)
            print(f"  {r['model']:9s} {r['state']:8s} N={r['n']:2d} V={moved(r) / 1e6:9.1f} MB "
                  f"measured {r['ms']:7.0f} ms  model {pred:7.0f} ms  ({(pred - r['ms']) / r['ms'] * 100:+.0f}%)")
    lz4 = [r["shuffle"] / r["n"] / floats(r) for r in data if r["strategy"] == "sharded"]
    if lz4:
        lz4 = (sum(lz4) / len(lz4) - 4) / 8
        print(f"\nlz4 keeps {lz4:.2f} of the reduce-scatter's double sums")
    if fits:
        host = max(2 * f[2] for f in fits.values()) * 1e6
        model_256("this host's constants (2 shared cores: one JVM at 2 c)", round(host), 2, 1)
    model_256("a cluster of 10 GbE nodes (1 GB/s per JVM, typical scheduler costs; assumed, not measured)", 1, 2, 1)
    model_256("a cluster of 25 GbE nodes (3.1 GB/s per JVM, typical scheduler costs; assumed, not measured)", 0.32,
              2, 1)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "deploy/target/bench-rounds.md")
