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
        if len(cells) != 11 or not cells[1].replace(",", "").isdigit():
            continue
        num = lambda s: float(s.replace(",", ""))
        out.append(dict(model=cells[0], params=num(cells[1]), strategy=cells[2], state=cells[3],
                        n=int(cells[4]), ms=num(cells[5]), results=num(cells[8]), broadcast=num(cells[9]),
                        shuffle=num(cells[10])))
    return out


def moved(r):
    if r["strategy"] == "tree":
        return r["results"] + r["n"] * r["broadcast"]
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


def main(path):
    data = rows(path)
    fits = {}
    for strategy in ("tree", "sharded"):
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
    if len(fits) < 2:
        return
    # The 256-worker model. Bytes follow from the algorithms (S floats averaged per worker). Time:
    # this host's per-byte cost c is for 2 cores shared by all JVMs, so one JVM handles a byte in
    # about 2c; on a cluster, per-worker bytes are handled in parallel, the driver's in series.
    ct = 2 * fits["tree"][2]
    cs = 2 * fits["sharded"][2]
    per_task = max(fits["sharded"][1], fits["tree"][1], 1.0) / 4  # ms per task the driver schedules
    sh_ratio = {}
    for r in data:
        if r["strategy"] == "sharded":
            floats = r["params"] * (2 if r["state"] == "averaged" else 1)
            sh_ratio.setdefault("all", []).append(r["shuffle"] / r["n"] / floats)
    w = sum(sh_ratio["all"]) / len(sh_ratio["all"])  # shuffle bytes written per worker per float (compressed)
    print(f"\nmodel: one JVM handles a byte in {ct * 1e6:.0f} ms/MB (tree) / {cs * 1e6:.0f} ms/MB (sharded); "
          f"{per_task:.1f} ms per scheduled task; sharded writes {w:.1f} bytes per averaged float per worker")
    print("| model | state | N | tree: driver bytes/round | tree: round s | sharded: driver bytes/round | "
          "sharded: bytes per worker/round | sharded: round s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, p in (("lenet", 431_080), ("resnet50", 25_557_032)):
        for state, s in (("averaged", 2 * p), ("local", p)):
            for n in (16, 64, 256):
                m = tree_partials(n)
                tree_in = 8 * s * m                      # the last level's double sums
                tree_out = 4 * s                         # one broadcast copy (torrent: peers share)
                level = 8 * s * math.sqrt(n) if n > 4 else 0  # each intermediate reducer's input
                tree_s = (ct * (4 * s * math.log2(n) + level + tree_in) + per_task * (n + m)) / 1e3
                sh_worker = 2 * w * s                    # written + read, both shuffles
                sh_driver = 6_000 * n                    # measured: ~6 kB of task results per worker
                sh_s = (cs * sh_worker + per_task * 4 * n) / 1e3
                print(f"| {name} | {state} | {n} | {(tree_in + tree_out) / 1e9:.2f} GB | {tree_s:.1f} | "
                      f"{sh_driver / 1e6:.2f} MB | {sh_worker / 1e6:.0f} MB | {sh_s:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "deploy/target/bench-rounds.md")
