#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make profile: where a single-page gntdev map+unmap spends its work.

Stock and ours, built from the same baseline with the same config, are
booted as dom0 under "-icount shift=0", one vCPU, KUnit off: the guest's
clock then counts instructions, so what it measures does not depend on
the host.  Each boot gives two figures:

  - instructions per map+unmap ("xen-unpop-bench alloc-free", the median
    of its batches, which agree to a few instructions);
  - where they go: between two markers dom0 prints around PROFILE_ROUNDS
    map+unmap pairs (2000), QEMU logs every translation block the vCPU
    runs (xenboot.py's Tracer); blocks are counted per kernel function
    (the kernel's System.map), Xen and dom0's user space as one row.

Functions are sorted by the blocks ours runs beyond stock, per
map+unmap.  The table goes to build/results/profile[-X.Y].txt; each
boot's kernel blocks run at least once a map+unmap, by address, to
profile-KERNEL[-X.Y]-N.blocks.
"""

import bisect
import collections
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import xenboot  # noqa: E402

ROUNDS = int(os.environ.get("PROFILE_ROUNDS", "2000"))
BOOTS = int(os.environ.get("PROFILE_BOOTS", "1"))
TOP = int(os.environ.get("PROFILE_TOP", "25"))
# The kernel's addresses; below them, Xen's (EL2) and user space's.
KERNEL_BASE = 0xffff000000000000
TRACE_RE = re.compile(r"^Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")


class Symbols:
    """Text symbols of a kernel, from its System.map."""

    def __init__(self, path):
        syms = []
        with open(path) as f:
            for line in f:
                addr, kind, name = line.split()[:3]
                if kind in "tTwW":
                    syms.append((int(addr, 16), name))
        syms.sort()
        self.addrs = [a for a, _n in syms]
        self.names = [n for _a, n in syms]

    def name(self, pc, offset=False):
        if pc < KERNEL_BASE:
            return "[Xen or dom0 user space]"
        i = bisect.bisect_right(self.addrs, pc) - 1
        if i < 0:
            return "?"
        return ("%s+0x%x" % (self.names[i], pc - self.addrs[i]) if offset
                else self.names[i])


def boot(kernel, mode, log, profile=None):
    """The "bench" values of one boot of KERNEL running MODE."""
    opts = bench.Opts(kernel, mode, log, smp=1, icount=True)
    opts.profile = profile
    text, _rc, timed_out = xenboot.boot(opts)
    return bench.values(text, timed_out, "%s %s" % (kernel, mode), log)[1]


def blocks(kernel, i):
    """Counter of blocks run per row, over ROUNDS map+unmap pairs."""
    log = os.path.join(bench.RES, "profile-%s%s-%d.log" % (kernel, bench.BL_TAG, i))
    trace = os.path.splitext(log)[0] + ".trace"
    if os.path.exists(trace):
        os.unlink(trace)
    boot(kernel, "profile:%d" % ROUNDS, log, trace)
    syms = Symbols(os.path.join(bench.objdir(kernel)[0], "System.map"))
    rows, pcs = collections.Counter(), collections.Counter()
    with open(trace, errors="replace") as f:
        for line in f:
            m = TRACE_RE.match(line)
            if m:
                pcs[int(m.group(1), 16)] += 1
    os.unlink(trace)
    for pc, n in pcs.items():
        rows[syms.name(pc)] += n
    # Each block's address and runs, to read against the disassembly.
    with open(os.path.splitext(log)[0] + ".blocks", "w") as f:
        for pc, n in sorted(pcs.items()):
            if pc >= KERNEL_BASE and n >= ROUNDS:
                f.write("%x %s %.2f\n" % (pc, syms.name(pc, True), n / ROUNDS))
    if sum(rows.values()) < ROUNDS:
        sys.exit("profile: %s: %d blocks traced only, see %s" %
                 (kernel, sum(rows.values()), log))
    return rows


def main():
    os.makedirs(bench.RES, exist_ok=True)
    insns = {k: [] for k in bench.KERNELS}
    rows = {k: collections.Counter() for k in bench.KERNELS}
    for i in range(BOOTS):
        for k in bench.KERNELS:
            log = os.path.join(bench.RES, "profile-insns-%s%s-%d.log" %
                               (k, bench.BL_TAG, i))
            v = boot(k, "alloc-free:45000", log)
            insns[k].append(bench.instructions(v))
            rows[k].update(blocks(k, i))
    per_op = {k: {f: n / (ROUNDS * BOOTS) for f, n in rows[k].items()}
              for k in bench.KERNELS}
    med = {k: statistics.median(insns[k]) for k in bench.KERNELS}
    names = set(per_op["stock"]) | set(per_op["ours"])
    order = sorted(names, key=lambda f: per_op["ours"].get(f, 0) -
                   per_op["stock"].get(f, 0), reverse=True)
    lines = ["single-page gntdev map+unmap on %s, under -icount shift=0, "
             "%d boot(s) a kernel" % (bench.BASELINE, BOOTS),
             "%-46s %10s %10s %10s" % ("", "stock", "ours", "ours/stock"),
             "%-46s %10.0f %10.0f %9.2fx" % (
                 "instructions per map+unmap (median)", med["stock"],
                 med["ours"], med["ours"] / med["stock"]),
             "%-46s %10.1f %10.1f %9.2fx" % (
                 "blocks run per map+unmap",
                 sum(per_op["stock"].values()), sum(per_op["ours"].values()),
                 sum(per_op["ours"].values()) / sum(per_op["stock"].values())),
             "",
             "%-46s %10s %10s %10s" % ("blocks per map+unmap in", "stock",
                                       "ours", "ours-stock")]
    shown = order[:TOP] + ["..."] + [f for f in order[-8:] if f not in order[:TOP]]
    for f in shown:
        if f == "...":
            lines.append("...")
            continue
        s, o = per_op["stock"].get(f, 0), per_op["ours"].get(f, 0)
        lines.append("%-46s %10.1f %10.1f %+10.1f" % (f[:46], s, o, o - s))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(bench.RES, "profile%s.txt" % bench.BL_TAG), "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
