#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make profile: where a single-page gntdev map+unmap spends its time.

Stock and ours, built from the same baseline with the same config, are
booted as dom0 one after the other, with one vCPU (KUnit off); dom0 runs
gntdev map+unmap of one grant for PROFILE_SECONDS of its own clock (20
by default, "xen-unpop-bench profile") while xenboot.py stops the
machine PROFILE_HZ times a second (200) to read where the vCPU is. The
samples are counted per kernel function (System.map of that kernel's
build), with Xen (EL2) and dom0's user space as one row each, and each
row becomes nanoseconds per map+unmap: its share of the samples times
the time per operation measured in the same boot.  Functions are sorted
by what ours spends beyond stock; PROFILE_BOOTS boots a kernel (2) are
added up.  The table goes to build/results/profile[-X.Y].txt.
"""

import bisect
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import xenboot  # noqa: E402

SECONDS = int(os.environ.get("PROFILE_SECONDS", "20"))
HZ = int(os.environ.get("PROFILE_HZ", "200"))
BOOTS = int(os.environ.get("PROFILE_BOOTS", "2"))
TOP = int(os.environ.get("PROFILE_TOP", "30"))


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

    def name(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        return self.names[i] if i >= 0 else "?"


def profile(kernel, i):
    """(ns per operation, Counter of samples per row) of one boot."""
    log = os.path.join(bench.RES, "profile-%s%s-%d.log" % (kernel, bench.BL_TAG, i))
    out = os.path.splitext(log)[0] + ".samples"
    opts = bench.Opts(kernel, "profile:%d" % SECONDS, log, smp=1)
    opts.profile, opts.profile_hz = out, HZ
    opts.timeout += 3 * SECONDS
    text, _rc, timed_out = xenboot.boot(opts)
    if timed_out or "@@xenboot done" not in text:
        sys.exit("profile: %s did not finish, see %s" % (kernel, log))
    vals = {}
    for line in xenboot.sections(text).get("bench", ([], 0))[0]:
        key, _sp, val = line.partition(" ")[2].partition(" ")
        vals[key] = val
    syms = Symbols(os.path.join(bench.objdir(kernel)[0], "System.map"))
    rows = collections.Counter()
    with open(out) as f:
        for line in f:
            el, pc = line.split()
            if el == "2":
                rows["[xen, EL2]"] += 1
            elif el == "0":
                rows["[dom0 user space]"] += 1
            else:
                rows[syms.name(int(pc, 16))] += 1
    if sum(rows.values()) < 100:
        sys.exit("profile: %s: %d samples only, see %s" %
                 (kernel, sum(rows.values()), out))
    return float(vals["profile_ns_per_op"]), rows


def main():
    os.makedirs(bench.RES, exist_ok=True)
    ns = {k: [] for k in bench.KERNELS}
    rows = {k: collections.Counter() for k in bench.KERNELS}
    for i in range(BOOTS):
        for k in bench.KERNELS:
            t, r = profile(k, i)
            ns[k].append(t)
            rows[k].update(r)
    per_op = {}
    for k in bench.KERNELS:
        total = sum(rows[k].values())
        mean = sum(ns[k]) / len(ns[k])
        per_op[k] = {f: mean * n / total for f, n in rows[k].items()}
    names = set(per_op["stock"]) | set(per_op["ours"])
    diff = sorted(names, key=lambda f: per_op["ours"].get(f, 0) -
                  per_op["stock"].get(f, 0), reverse=True)
    lines = ["single-page gntdev map+unmap, %s, %d boot(s) a kernel of %d s, "
             "%d samples/s" % (bench.BASELINE, BOOTS, SECONDS, HZ),
             "%-44s %12s %12s" % ("", "stock", "ours"),
             "%-44s %12s %12s" % ("ns per map+unmap (each boot)",
                                  " ".join("%.0f" % t for t in ns["stock"]),
                                  " ".join("%.0f" % t for t in ns["ours"])),
             "%-44s %12d %12d" % ("samples", sum(rows["stock"].values()),
                                  sum(rows["ours"].values())),
             "",
             "%-44s %12s %12s %10s" % ("ns per operation in", "stock", "ours",
                                        "ours-stock")]
    for f in diff[:TOP] + ["..."] + diff[-8:]:
        if f == "...":
            lines.append("...")
            continue
        s, o = per_op["stock"].get(f, 0), per_op["ours"].get(f, 0)
        lines.append("%-44s %12.0f %12.0f %+10.0f" % (f[:44], s, o, o - s))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(bench.RES, "profile%s.txt" % bench.BL_TAG), "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
