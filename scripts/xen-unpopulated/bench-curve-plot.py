#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The bench's cost curve as a picture: instructions per operation and
dom0's free RAM against how full the pool is, stock beside ours.

    bench-curve-plot.py CURVE.tsv OUT.svg [BEFORE.tsv LABEL]

CURVE.tsv is what make bench writes (point, kernel, held, free_ram_kb
and one column an operation; "-" where it failed).  The points are the
maps still held, in per cent of the fill; "0after" is empty again after
it, drawn at 0 with an open marker.  With BEFORE.tsv, a curve of the
same form from before a change, its "ours" rows are drawn dashed as
"ours LABEL" (for example "before patch 17").  Uses Debian's
python3-matplotlib.
"""

import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("bench-curve-plot: no matplotlib (apt-get install python3-matplotlib)")

COLOUR = {"stock": "tab:red", "ours": "tab:blue"}


def read(path):
    with open(path) as f:
        head = f.readline().split()
        rows = [dict(zip(head, line.split())) for line in f]
    return head[4:], rows


def num(x):
    return None if x in ("-", "-1") else float(x)


def draw(ax, rows, col, kernel, colour, label, style="-"):
    """One kernel's curve of COL: a line, and "0after" as an open marker."""
    pts = [(0 if r["point"] == "0after" else int(r["point"]),
            num(r[col]), r["point"] == "0after")
           for r in rows if r["kernel"] == kernel and col in r]
    line = sorted((x, y) for x, y, after in pts if not after and y is not None)
    if line:
        ax.plot(*zip(*line), style, marker="o", color=colour, label=label)
    for x, y, after in pts:
        if after and y is not None:
            ax.plot([x], [y], marker="o", mfc="none", color=colour)


def main():
    ops, rows = read(sys.argv[1])
    before = read(sys.argv[3])[1] if len(sys.argv) > 4 else []
    cols = ops + ["free_ram_kb"]
    nrows = (len(cols) + 2) // 3
    fig, axes = plt.subplots(nrows, 3, figsize=(13, 4 * nrows), squeeze=False)
    for ax in axes.flat[len(cols):]:
        ax.set_visible(False)
    for ax, col in zip(axes.flat, cols):
        for kernel, colour in COLOUR.items():
            draw(ax, rows, col, kernel, colour, kernel)
        if before:
            draw(ax, before, col, "ours", COLOUR["ours"],
                 "ours " + sys.argv[4], "--")
        ax.set_title(col if col != "free_ram_kb" else "dom0 free RAM (kB)")
        ax.set_xlabel("maps still held (% of the fill)")
        if col != "free_ram_kb":
            ax.set_ylabel("instructions per operation")
        ax.set_ylim(bottom=0)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    fig.tight_layout()
    fig.savefig(sys.argv[2])
    print("bench-curve-plot: %s" % sys.argv[2])


if __name__ == "__main__":
    main()
