#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The bench's dma-buf sweep as a picture: dom0 RAM lost while a grant
DMA buffer is alive, and Xen's 2M superpages of dom0 shattered, against
the buffer's size, stock beside ours.

    bench-plot.py SWEEP.tsv OUT.svg

SWEEP.tsv is what make bench writes (kib, kernel, ram_lost_kb,
shattered_2m; "fails" where the export failed).  Uses Debian's
python3-matplotlib (make bench installs it).
"""

import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("bench-plot: no matplotlib (apt-get install python3-matplotlib)")

STYLE = {"stock": ("tab:red", "o", "stock 6.1"),
         "ours": ("tab:blue", "s", "with the series")}


def read(path):
    data = {}
    with open(path) as f:
        next(f)
        for line in f:
            kib, kernel, lost, shat = line.split()
            data.setdefault(kernel, []).append(
                (int(kib), None if lost == "fails" else int(lost),
                 None if shat == "fails" else int(shat)))
    return data


def main():
    data = read(sys.argv[1])
    fig, (ram, sp) = plt.subplots(1, 2, figsize=(10, 4))
    for kernel, points in data.items():
        color, marker, label = STYLE.get(kernel, ("black", "x", kernel))
        ok = [p for p in points if p[1] is not None]
        ram.plot([p[0] / 1024 for p in ok], [p[1] / 1024 for p in ok],
                 color=color, marker=marker, label=label)
        sp.plot([p[0] / 1024 for p in ok], [p[2] for p in ok],
                color=color, marker=marker, label=label)
        for p in points:
            if p[1] is None:
                for ax in (ram, sp):
                    ax.annotate("%s:\nfails" % kernel, (p[0] / 1024, 0),
                                color=color,
                                ha="center", va="bottom",
                                xytext=(0, 4), textcoords="offset points")
    sp.yaxis.get_major_locator().set_params(integer=True)
    for ax, title, unit in ((ram, "dom0 RAM lost while the buffer lives", "MiB"),
                            (sp, "dom0's 2M superpages shattered (Xen 'q')",
                             "superpages")):
        ax.set_xscale("log", base=2)
        sizes = sorted({p[0] for pts in data.values() for p in pts})
        ax.set_xticks([k / 1024 for k in sizes],
                      ["%g" % (k / 1024) for k in sizes])
        ax.set_xlabel("gntdev dma-buf size (MiB)")
        ax.set_ylabel(unit)
        ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle("Grant DMA buffers: Xen 4.17 dom0 under QEMU, one fresh "
                 "boot a point (make bench)", fontsize=10)
    fig.tight_layout()
    fig.savefig(sys.argv[2], metadata={"Date": None} if sys.argv[2].endswith(".svg") else None)
    print("bench-plot: %s" % sys.argv[2])


if __name__ == "__main__":
    main()
