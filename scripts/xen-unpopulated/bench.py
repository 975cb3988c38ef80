#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench: the stock kernel and ours side by side, in one run.

Both kernels are built from the same baseline with the same config and
booted as dom0 under the same Xen with the same layout and command line
(KUnit off, so that nothing warms the pool first).  Each measurement is
a fresh boot whose /init runs one xen-unpop-bench mode.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xenboot  # noqa: E402

RES = os.path.join(xenboot.BUILD, "results")
KERNELS = ("stock", "ours")


class Opts:
    """What xenboot.boot() wants to know."""

    def __init__(self, kernel, bench, log, mem="2048", dom0_mem="512M"):
        self.xen = os.path.join(xenboot.BUILD, "sysroot/boot/xen-4.17-arm64")
        self.kernel = os.path.join(xenboot.BUILD, "obj-%s/arch/arm64/boot/Image" % kernel)
        self.initrd = os.path.join(xenboot.BUILD, "initrd.cpio.gz")
        self.xen_cmdline = ""
        self.dom0_cmdline = "kunit.enable=0 xu.bench=%s" % bench
        self.mem, self.dom0_mem, self.gic, self.smp = mem, dom0_mem, "3", 2
        self.timeout = int(os.environ.get("TIMEOUT", "300"))
        self.log, self.echo, self.qemu_extra = log, False, []


def run(kernel, bench, **layout):
    log = os.path.join(RES, "bench-%s-%s.log" % (kernel, bench.replace(":", "-")))
    text, _rc, timed_out = xenboot.boot(Opts(kernel, bench, log, **layout))
    if timed_out or "@@xenboot done" not in text:
        sys.exit("bench: %s %s did not finish, see %s" % (kernel, bench, log))
    sec = xenboot.sections(text)
    vals = {}
    for line in sec.get("bench", ([], 0))[0]:
        m = re.match(r"^bench (\S+) (\S+)$", line)
        if m:
            vals[m.group(1)] = m.group(2)
        if line.startswith("bench error"):
            sys.exit("bench: %s %s: %s (see %s)" % (kernel, bench, line, log))
    return text, sec, vals


def ratio(ours, stock):
    return "%.2fx" % (ours / stock) if stock else "n/a"


def assert_first_map():
    """TAP: the first one-page grant map costs ours <= 64 kB of RAM."""
    t = xenboot.Tap("first-map")
    v = {k: run(k, "first-map:1")[2] for k in KERNELS}
    cost = {k: int(v[k]["first_map_cost_kb"]) for k in KERNELS}
    made = {k: int(v[k]["scratch_kb_after"]) - int(v[k]["scratch_kb_before"])
            for k in KERNELS}
    print("# first one-page map: stock %d kB, ours %d kB of RAM" %
          (cost["stock"], cost["ours"]))
    t.ok(0 < cost["ours"] <= 64, "ours costs at most 64 kB of RAM (%d kB)" % cost["ours"])
    t.ok(made["ours"] == 2048, "ours maps a 2 MiB Xen scratch chunk (%d kB)" % made["ours"])
    t.ok(cost["stock"] >= 1024 and made["stock"] == 131072,
         "stock, same run: a 128 MiB chunk costing %d kB" % cost["stock"])
    t.ok(int(v["ours"]["idle_noise_kb"]) == 0 and int(v["stock"]["idle_noise_kb"]) == 0,
         "free RAM was steady before measuring")
    return t.done()


def main():
    os.makedirs(RES, exist_ok=True)
    if sys.argv[1:] == ["--assert-first-map"]:
        return assert_first_map()
    rows = []

    for n in (1, 512):
        cost = {}
        scratch = {}
        for k in KERNELS:
            _t, _s, v = run(k, "first-map:%d" % n)
            cost[k] = int(v["first_map_cost_kb"])
            scratch[k] = int(v["scratch_kb_after"]) - int(v["scratch_kb_before"])
        rows.append(("RAM cost of the first map of %d page%s (kB)" %
                     (n, "s" if n > 1 else ""), cost["stock"], cost["ours"],
                     ratio(cost["ours"], cost["stock"])))
        rows.append(("  Xen scratch space it created (kB)", scratch["stock"],
                     scratch["ours"], ratio(scratch["ours"], scratch["stock"])))

    rounds = int(os.environ.get("BENCH_ROUNDS", "20000"))
    rate = {}
    for k in KERNELS:
        _t, _s, v = run(k, "alloc-free:%d" % rounds)
        rate[k] = float(v["alloc_free_per_second"])
    rows.append(("single-page alloc+free via gntdev map+unmap (per s)",
                 "%.0f" % rate["stock"], "%.0f" % rate["ours"],
                 ratio(rate["ours"], rate["stock"])))

    # Usable space per extended region, with a layout that has a small one.
    layout = {"mem": "2048", "dom0_mem": "1600M"}
    text, sec, _v = run("ours", "usable", **layout)
    regions = xenboot.xen_regions(text)
    sect = xenboot.items(sec.get("usable-section", ([], 0))[0], "usable")
    subs = xenboot.items(sec.get("usable-subsection", ([], 0))[0], "usable")
    for s, e in regions:
        def inside(lst):
            return sum(u[1] - u[0] + 1 for u in lst if s <= u[0] and u[1] <= e) >> 20
        rows.append(("usable in region 0x%x-0x%x, %d MiB (MiB)" %
                     (s, e, (e - s + 1) >> 20), inside(sect), inside(subs),
                     ratio(inside(subs), inside(sect))))

    w = max(len(r[0]) for r in rows)
    print("\nxen-unpopulated bench: Xen 4.17 + dom0 under QEMU (TCG), "
          "same config and boot for both kernels")
    print("%-*s %12s %12s %8s" % (w, "", "stock", "ours", "ours/stock"))
    for r in rows:
        print("%-*s %12s %12s %8s" % ((w,) + tuple(str(x) for x in r)))
    print("\nfirst map: free RAM (buddy + per-cpu lists after stat_refresh) "
          "before and after gntdev map + mmap, -m 2048 dom0_mem=512M;")
    print("usable space: regions from Xen with -m 2048 dom0_mem=1600M, "
          "clipped by xen-extregions to 128 MiB sections (stock) and "
          "2 MiB subsections (ours); logs in %s" % RES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
