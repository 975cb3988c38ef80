#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot a dom0 kernel under the real Xen hypervisor in QEMU and check it.

  xenboot.py boot  [options]        boot once, save the console log
  xenboot.py check LOG [--expect-regions|--expect-no-regions]
                                    assertions on a saved log, TAP out
  xenboot.py show  LOG              what Xen advertised, what Linux found
  xenboot.py tally TAPFILE...       add up TAP files: "N passed, N failed"

The serial line is QEMU's stdio, driven from here.  Every boot has a
timeout.  dom0's /init prints "@@section NAME" ... "@@end NAME rc=N".
"""

import argparse
import itertools
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("OUT", os.path.join(REPO, "build"))
# The hypervisors install-deps.sh unpacks: Debian 12's 4.17 (arm64 and
# amd64) and Debian 13's 4.20 (arm64).  $XEN picks the version.
XEN_BINARIES = {
    ("arm64", "4.17"): "sysroot/boot/xen-4.17-arm64",
    ("x86_64", "4.17"): "sysroot-x86/boot/xen-4.17-amd64",
    ("arm64", "4.20"): "sysroot-4.20/boot/xen-4.20-arm64",
}
XEN_VERSION = os.environ.get("XEN") or "4.17"


def xen_binary(arch, version):
    """The Xen that boots ARCH's dom0 at VERSION."""
    if (arch, version) not in XEN_BINARIES:
        raise ValueError("no Xen %s for %s (%s)" % (version, arch, ", ".join(
            "%s %s" % k for k in sorted(XEN_BINARIES))))
    return os.path.join(BUILD, XEN_BINARIES[arch, version])

XEN_REGION_RE = re.compile(
    r"\(XEN\)\s+d0: extended region (\d+): 0x([0-9a-f]+)->0x([0-9a-f]+)")
SECTION_RE = re.compile(r"^@@section (\S+)$")
END_RE = re.compile(r"^@@end (\S+) rc=(\d+)$")
TAP_RE = re.compile(r"^(\s*)(not ok|ok) (\d+)\s*(?:-\s*)?(.*?)\s*(?:#\s*(SKIP|TODO)\b.*)?$")
PROBLEM_RES = [
    re.compile(r"Internal error: Oops"),
    re.compile(r"Unable to handle kernel"),
    re.compile(r"Kernel panic"),
    re.compile(r"^\s*WARNING: CPU: \d+ PID"),
    # lockdep ("WARNING: possible circular locking dependency detected"
    # and the like), debugobjects, list and atomic-sleep checks
    re.compile(r"^\s*WARNING: "),
    re.compile(r"^\s*ODEBUG: "),
    re.compile(r"list_(add|del) corruption"),
    re.compile(r"^\s*INFO: task .* blocked for more than"),
    re.compile(r"^\s*BUG: "),
    re.compile(r"kernel BUG at"),
    re.compile(r"\(XEN\) .*Panic on CPU"),
    re.compile(r"\(XEN\) .*FATAL"),
]


MIB = 1 << 20
# QEMU's virt machine: RAM from 1 GiB; the harness loads dom0's kernel and
# initramfs there for Xen (guest-loader).
RAM_BASE = 0x40000000
KERNEL_ADDR = 0x42000000
INITRD_ADDR = 0x47000000
# Xen's image (and dom0's grant table region, which it borrows) at the
# start of RAM; extended regions start above it, at 0x40400000.
XEN_AREA_END = 0x403fffff
# Where Xen puts a 512 MiB dom0: its first bank is the lowest free,
# naturally aligned 512 MiB below 2 GiB, and the one at 1 GiB holds Xen.
# The layouts below leave it free and keep everything else in pieces no
# other bank would take first; the check asserts the outcome.
DOM0_WINDOW = (0x60000000, 0x7fffffff)


def layout_regions(name, mem_mib):
    """The extended regions layout NAME wants for -m MEM_MIB: (start,
    end, other end), inclusive, or None where QEMU's tree is taken as it
    is without expectations.

    Xen advertises the RAM that is neither dom0's, nor reserved, nor the
    grant table, rounded to 2 MiB; 4.18 to 4.20 also lose the last 2 MiB
    of a range that ends on 2 MiB, which 4.17 keeps (fixed again in
    4.21): a region ending on dom0's RAM or on the end of RAM has either
    end ("other end").  A layout that reserves ranges (/reserved-memory
    in the host's device tree, which Xen leaves out of dom0's regions)
    ends each region 1 MiB before one, where both round alike.
    """
    ram_end = RAM_BASE + mem_mib * MIB - 1
    if name == "qemu":
        return None
    if name == "regions":
        # QEMU's own tree: below and above dom0's 512 MiB.
        return [(XEN_AREA_END + 1, DOM0_WINDOW[0] - 1, DOM0_WINDOW[0] - 2 * MIB - 1),
                (DOM0_WINDOW[1] + 1, ram_end, ram_end - 2 * MIB)]
    if name == "small":
        # Regions of 64 to 250 MiB, none holding an aligned 128 MiB (the
        # stock allocator's section), one of Xen's minimum size (64 MiB),
        # all ending 1 MiB before a reserved range.
        return [(s, e, e) for s, e in (
            (0x40400000, 0x4fdfffff), (0x50200000, 0x57dfffff),
            (0x58200000, 0x5fdfffff), (0x80000000, 0x83ffffff),
            (0x84400000, 0x8fdfffff), (0x90200000, 0x97dfffff))]
    raise ValueError("unknown layout %r (%s)" % (name, ", ".join(LAYOUTS)))


# Layouts, and whether they reserve ranges to make their regions.
LAYOUTS = {"regions": False, "small": True, "qemu": False}


def layout_reserved(name, mem_mib, modules):
    """The ranges layout NAME reserves, inclusive; MODULES (start, end)
    are what the harness loads into RAM, which no reserved range may
    meet."""
    want = layout_regions(name, mem_mib)
    if not LAYOUTS[name]:
        return []
    ram_end = RAM_BASE + mem_mib * MIB - 1
    if want[-1][1] + 2 * MIB > ram_end:
        raise ValueError("layout %s needs -m %d or more" %
                         (name, (want[-1][1] + 2 * MIB + 1 - RAM_BASE) // MIB))
    for a, b in zip(want, want[1:]):
        if b[0] - a[1] - 1 < 4 * MIB:
            raise ValueError("layout %s: regions 0x%x-0x%x and 0x%x-0x%x are "
                             "too close for a reserved range between them" %
                             (name, a[0], a[1], b[0], b[1]))
    # Free: Xen's area, dom0's window and each region with 1 MiB beyond
    # its ends; the rest of RAM is reserved.
    free = sorted([(RAM_BASE, XEN_AREA_END), DOM0_WINDOW] +
                  [(s - MIB, e + MIB) for s, e, _other in want])
    out, at = [], RAM_BASE
    for s, e in free:
        if s > at:
            out.append((at, s - 1))
        at = max(at, e + 1)
    if at <= ram_end:
        out.append((at, ram_end))
    for rs, re_ in out:
        for ms, me in modules:
            if rs <= me and ms <= re_:
                raise ValueError("layout %s reserves 0x%x-0x%x, which meets a "
                                 "module the harness loads at 0x%x-0x%x" %
                                 (name, rs, re_, ms, me))
    return out


def layout_match(want, regions):
    """Whether Xen's REGIONS are those WANT describes, either end allowed."""
    return len(want) == len(regions) and all(
        r[0] == w[0] and r[1] in w[1:] for w, r in zip(want, regions))


def aligned_128m(region):
    """Whether REGION (inclusive) holds a naturally aligned 128 MiB."""
    sec = 128 * MIB
    first = (region[0] + sec - 1) // sec * sec
    return first + sec - 1 <= region[1]


def layout_needs(name, want, regions):
    """What layout NAME's scenario needs of Xen's REGIONS, as a list of
    what is missing (empty: the layout was produced); WANT are the
    regions the layout set up (None: whatever QEMU's tree gives)."""
    miss = []
    if name == "small":
        if len(regions) < 3:
            miss.append("fewer than 3 regions")
        if not [r for r in regions if r[1] - r[0] + 1 < 128 * MIB]:
            miss.append("no region smaller than 128 MiB")
        miss += ["0x%x-0x%x holds an aligned 128 MiB" % r
                 for r in regions if aligned_128m(r)]
    elif name in ("regions", "qemu"):
        # The kselftests' biggest dma-buf is a 256 MiB contiguous run.
        if not [r for r in regions if r[1] - r[0] + 1 >= 512 * MIB]:
            miss.append("no region of 512 MiB or more")
    if want is not None and not layout_match(want, regions):
        miss.append("not the layout's regions (want %s)" % ranges_str(want))
    return miss


def ranges_str(ranges):
    """Ranges as text, "START-END", or "START-END/OTHER" with an other
    end (layout_regions())."""
    return ", ".join("0x%x-0x%x" % r[:2] + ("/0x%x" % r[2] if len(r) > 2 and
                                            r[2] != r[1] else "")
                     for r in ranges) or "none"


LAYOUT_RE = re.compile(r"^@@xenboot layout (\S+): regions (.*); reserved (.*)$",
                       re.M)


def log_layout(text):
    """(name, wanted regions or None) of the layout a boot log records,
    or (None, None)."""
    m = LAYOUT_RE.search(text)
    if not m:
        return None, None
    want = None
    if m.group(2) != "any":
        want = []
        for r in m.group(2).split(", "):
            start, ends = r.split("-")
            ends = [int(x, 16) for x in ends.split("/")]
            want.append((int(start, 16), ends[0], ends[-1]))
    return m.group(1), want


def layout_dtb(args, cmd):
    """Write the device tree for args.layout next to the log: QEMU's own
    (dumped with the same machine), plus /reserved-memory.  Returns its
    path and the reserved ranges, or (None, []) where the layout changes
    nothing."""
    if args.arch != "arm64":
        return None, []
    modules = [(KERNEL_ADDR, KERNEL_ADDR + os.path.getsize(args.kernel) - 1),
               (INITRD_ADDR, INITRD_ADDR + os.path.getsize(args.initrd) - 1)]
    if modules[0][1] >= INITRD_ADDR:
        raise ValueError("the kernel (%d MiB) overlaps the initramfs at 0x%x" %
                         (os.path.getsize(args.kernel) >> 20, INITRD_ADDR))
    reserved = layout_reserved(args.layout, int(args.mem), modules)
    if not reserved:
        return None, []
    base = os.path.splitext(args.log)[0] + ".layout"
    dump = cmd[:]
    i = dump.index("-machine") + 1
    dump[i] += ",dumpdtb=%s.qemu.dtb" % base
    subprocess.run(dump, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts",
                          base + ".qemu.dtb"], check=True,
                         capture_output=True, text=True).stdout
    dts += "\n/ {\n\treserved-memory {\n\t\t#address-cells = <2>;\n" \
           "\t\t#size-cells = <2>;\n\t\tranges;\n"
    for s, e in reserved:
        dts += ("\t\txen-unpopulated-layout@%x {\n\t\t\treg = <0x%x 0x%x "
                "0x%x 0x%x>;\n\t\t};\n" % (s, s >> 32, s & 0xffffffff,
                                            (e - s + 1) >> 32,
                                            (e - s + 1) & 0xffffffff))
    dts += "\t};\n};\n"
    with open(base + ".dts", "w") as f:
        f.write(dts)
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", base + ".dtb",
                    base + ".dts"], check=True)
    return base + ".dtb", reserved


def xen_version(args):
    return getattr(args, "xen_version", None) or XEN_VERSION


def qemu_command(args):
    """The QEMU command line that boots Xen and dom0 for args.arch."""
    xen = args.xen or xen_binary(args.arch, xen_version(args))
    dom0_cmdline = ("console=hvc0 rdinit=/init xen_gntalloc.limit=131072 %s" %
                    args.dom0_cmdline).strip()
    common = ["-smp", str(args.smp), "-m", str(args.mem),
              "-display", "none", "-monitor", "none", "-nic", "none",
              "-serial", "stdio"]
    if args.arch == "x86_64":
        # Xen for amd64 is a multiboot image: dom0 and its initramfs are
        # its modules, "image args,initrd" (a comma in args is doubled).
        xen_cmdline = ("dom0_mem=%s console=com1 com1=115200,8n1 "
                       "loglvl=all guest_loglvl=all %s" %
                       (args.dom0_mem, args.xen_cmdline)).strip()
        return ["qemu-system-x86_64", "-machine", "q35",
                # Plain "max" makes a PV dom0 fault at its first iretq
                # under TCG.
                "-cpu", "max,-smap"] + common + [
                    "-kernel", xen, "-append", xen_cmdline,
                    "-initrd", "%s %s,%s" % (args.kernel,
                                             dom0_cmdline.replace(",", ",,"),
                                             args.initrd)] + args.qemu_extra
    xen_cmdline = ("dom0_mem=%s console=dtuart dtuart=/pl011@9000000 "
                   "loglvl=all guest_loglvl=all %s" %
                   (args.dom0_mem, args.xen_cmdline)).strip()
    return [
        "qemu-system-aarch64",
        "-machine", "virt,virtualization=on,gic-version=%s" % args.gic,
        "-cpu", args.cpu] + common + [
        "-kernel", xen, "-append", xen_cmdline,
        "-device", "guest-loader,addr=0x%x,kernel=%s,bootargs=%s" %
        (KERNEL_ADDR, args.kernel, dom0_cmdline.replace(",", ",,")),
        "-device", "guest-loader,addr=0x%x,initrd=%s" % (INITRD_ADDR, args.initrd),
    ] + args.qemu_extra


class Tracer:
    """Every translation block the vCPU runs, logged by QEMU (make profile).

    Between the markers dom0 prints, QEMU's log of executed blocks
    ("-d exec,nochain": one "Trace" line a block, chaining off so that
    none is missed) is switched on through the QMP socket.  Run with
    "-icount shift=0", the guest's clock counts instructions, so the
    time dom0 measures is what it executed, whatever the host does.
    """

    def __init__(self, path, out):
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
        self.sock, self.f = sock, sock.makefile("rwb")
        self.f.readline()
        self.command("qmp_capabilities")
        self.hmp("logfile %s" % out)
        self.hmp("log exec,nochain")

    def command(self, name, **arguments):
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        self.f.write((json.dumps(msg) + "\n").encode())
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("QMP closed")
            reply = json.loads(line)
            if "return" in reply or "error" in reply:
                return reply.get("return", "")

    def hmp(self, line):
        return self.command("human-monitor-command", **{"command-line": line})

    def stop(self):
        self.hmp("log none")
        self.sock.close()


def boot(args):
    """Run QEMU once; return (log text, exit code, timed out)."""
    cmd = qemu_command(args)
    layout = getattr(args, "layout", "regions")
    head = b""
    if args.arch == "arm64":
        dtb, reserved = layout_dtb(args, cmd)
        if dtb:
            cmd += ["-dtb", dtb]
        want = layout_regions(layout, int(args.mem))
        head = ("@@xenboot layout %s: regions %s; reserved %s\n" %
                (layout, ranges_str(want) if want else "any",
                 ranges_str(reserved))).encode()
    head += ("@@xenboot xen %s\n" % (args.xen or xen_version(args))).encode()
    # make profile: dom0 prints "@@xenboot profile start" and "... stop"
    # around what is to be traced (Tracer, above).
    profile = getattr(args, "profile", None)
    tracer = qmp = None
    if profile:
        qmp = os.path.splitext(args.log)[0] + ".qmp"
        if os.path.exists(qmp):
            os.unlink(qmp)
        cmd += ["-qmp", "unix:%s,server=on,wait=off" % qmp]
    print("xenboot: %s" % " ".join(cmd), file=sys.stderr)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    out = bytearray()
    deadline = time.monotonic() + args.timeout
    stall = getattr(args, "stall", 0)
    last = time.monotonic()
    timed_out = stalled = False
    log = open(args.log, "wb") if args.log else None
    if log:
        log.write(head)
    out += head
    pending = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([proc.stdout], [], [], min(left, 1.0))
        if not ready:
            if proc.poll() is not None:
                break
            if stall and time.monotonic() - last > stall:
                timed_out = stalled = True
                break
            continue
        last = time.monotonic()
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        out += chunk
        if log:
            log.write(chunk)
            log.flush()
        if args.echo:
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
        pending += chunk
        # dom0 asks for a Xen debug key: three Ctrl-a switch the serial
        # input to Xen, the key, three Ctrl-a hand it back; then a newline
        # lets dom0's /init go on.
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            # dom0 waits for a newline after each marker.
            if profile and re.match(rb"^@@xenboot profile start\r*$", line):
                tracer = Tracer(qmp, profile)
                proc.stdin.write(b"\n")
                proc.stdin.flush()
            if tracer and re.match(rb"^@@xenboot profile stop\r*$", line):
                tracer.stop()
                tracer = None
                proc.stdin.write(b"\n")
                proc.stdin.flush()
            m = re.match(rb"^@@xenboot debug-key (\w)(?: \S+)?\r*$", line)
            if m:
                time.sleep(0.5)
                proc.stdin.write(b"\x01\x01\x01" + m.group(1))
                proc.stdin.flush()
                time.sleep(2)
                proc.stdin.write(b"\x01\x01\x01")
                proc.stdin.flush()
                time.sleep(0.5)
                proc.stdin.write(b"\n")
                proc.stdin.flush()
    if timed_out or proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    rc = proc.wait()
    end = b""
    if stalled:
        end = b"\n@@xenboot timeout: no output for %ds, stopped\n" % stall
    elif timed_out:
        end = b"\n@@xenboot timeout after %ds\n" % args.timeout
    if log:
        log.write(end)
        log.close()
    text = (out + end).decode("utf-8", "replace").replace("\r", "")
    return text, rc, timed_out


def read_log(path):
    """A console log as text, whatever its mix of CR and LF."""
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace").replace("\r", "")


def xen_regions(text):
    """Xen's "extended region N: A->B" lines as inclusive (start, end)."""
    regs = {}
    for m in XEN_REGION_RE.finditer(text):
        regs[int(m.group(1))] = (int(m.group(2), 16), int(m.group(3), 16) - 1)
    return [regs[k] for k in sorted(regs)]


# What tools/testing/selftests/run_kselftest.sh prints around each test.
RUNNER_START_RE = re.compile(r"^# selftests: (\S+): (\S+)$")
RUNNER_END_RE = re.compile(r"^(not ok|ok) \d+ selftests: (\S+): (\S+)(.*)$")


def runner_tests(lines):
    """{"kselftest-NAME": (lines, rc)} from run_kselftest.sh's output.

    The runner prefixes a test's own output with "# " and closes it with
    "ok N selftests: DIR: NAME", "# SKIP" for exit 4, or "not ok" with
    "# exit=RC"; this gives each test its lines without the prefix and
    the exit code, as if it had run on its own.
    """
    out, name, inner = {}, None, []
    for line in lines:
        m = RUNNER_START_RE.match(line)
        if m:
            name, inner = m.group(2), []
            continue
        m = RUNNER_END_RE.match(line)
        if m and m.group(3) == name:
            rest = m.group(4)
            if m.group(1) == "ok":
                rc = 4 if re.search(r"#\s*SKIP", rest) else 0
            else:
                e = re.search(r"exit=(\d+)", rest)
                rc = int(e.group(1)) if e else 1
            out["kselftest-" + name] = (inner, rc)
            name = None
            continue
        if name is not None:
            inner.append(line[2:] if line.startswith("# ") else line)
    return out


def sections(text):
    """{name: (lines, rc)} for every @@section in the log; the section
    "kselftests" (the kselftest runner) gives one "kselftest-NAME" entry
    a test."""
    result = {}
    cur = None
    lines = []
    for line in text.splitlines():
        m = SECTION_RE.match(line)
        if m:
            cur, lines = m.group(1), []
            continue
        m = END_RE.match(line)
        if m and cur == m.group(1):
            result[cur] = (lines, int(m.group(2)))
            cur = None
            continue
        if cur is not None:
            lines.append(line)
    if "kselftests" in result:
        result.update(runner_tests(result["kselftests"][0]))
    return result


def items(lines, kind):
    """("region"|"hole"|"usable") lines as (start, end) [+ rest]."""
    out = []
    for line in lines:
        f = line.split()
        if len(f) >= 3 and f[0] == kind:
            out.append((int(f[1], 16), int(f[2], 16)) + tuple(f[3:]))
    return out


# Lines of KTAP; anything else the console interleaves (other drivers'
# messages between a suite's lines) is left out before parsing.
KTAP_LINE_RE = re.compile(r"^\s*(KTAP version|TAP version|#|ok |not ok |\d+\.\.\d+)")


def kunit_parse(text):
    """KUnit results, parsed by the baseline's tools/testing/kunit/kunit.py.

    The console up to dom0's first @@section is read: only the kernel
    prints KTAP there.  Returns ([(suite, case, ok, status)], [(suite,
    ok)], problems): a case is a leaf result (a parameterised case gives
    one per parameter, named "case/param") with kunit.py's status (PASS,
    SKIP, FAIL...); a suite is ok when every case passed or was skipped;
    problems is what kunit.py reported if it did not finish cleanly.
    """
    text = text.split("\n@@section ", 1)[0]
    import tempfile
    kunit = os.path.join(BUILD, "linux-source-6.1", "tools", "testing",
                         "kunit", "kunit.py")
    lines = [l for l in text.replace("\r", "").splitlines() if KTAP_LINE_RE.match(l)]
    cases, suites = [], []
    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, "console"), os.path.join(tmp, "kunit.json")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([sys.executable, kunit, "parse", "--json=" + out, src],
                           capture_output=True, text=True)
        problems = "" if r.returncode == 0 else (r.stdout + r.stderr)[-2000:]
        try:
            with open(out) as f:
                root = json.load(f)
        except (OSError, ValueError) as e:
            return [], [], problems or "no JSON from kunit.py: %s" % e

    def walk(group, suite, path):
        good = True
        for c in group.get("test_cases", []):
            ok = c.get("status") in ("PASS", "SKIP")
            cases.append((suite, "/".join(path + [c["name"]]), ok, c.get("status")))
            good &= ok
        for g in group.get("sub_groups", []):
            good &= walk(g, suite, path + [g["name"]])
        return good

    for g in root.get("sub_groups", []):
        suites.append((g["name"], walk(g, g["name"], [])))
    return cases, suites, problems


def p2m_stats(text):
    """Xen's 'q' p2m statistics of dom0 after each labelled debug-key marker.

    Returns {label: {"1G": (n, shattered), "2M": (n, shattered), "4K": n}}.
    """
    stats = {}
    label = None
    for line in text.splitlines():
        m = re.match(r"^@@xenboot debug-key q (\S+)", line)
        if m:
            label = m.group(1)
            stats[label] = {}
            continue
        if label is None:
            continue
        m = re.search(r"\(XEN\)\s+(1G|2M) mappings: (\d+) \(shattered (\d+)\)", line)
        if m and m.group(1) not in stats[label]:
            stats[label][m.group(1)] = (int(m.group(2)), int(m.group(3)))
            continue
        m = re.search(r"\(XEN\)\s+4K mappings: (\d+)", line)
        if m and "4K" not in stats[label]:
            stats[label]["4K"] = int(m.group(1))
    return stats


def system_ram(sec, lines=None):
    """The "System RAM" ranges of an iomem section, or of /proc/iomem
    lines, (start, end) inclusive."""
    if lines is None:
        lines = sec.get("iomem", ([], 0))[0]
    return [tuple(int(x, 16) for x in m.groups()) for m in re.finditer(
        r"^\s*([0-9a-f]+)-([0-9a-f]+) : System RAM$", "\n".join(lines), re.M)]


def meeting(ranges, others):
    """The ranges that share an address with one of others (inclusive)."""
    return [r for r in ranges if any(r[0] <= o[1] and o[0] <= r[1]
                                     for o in others)]


def problems(text):
    bad = []
    for line in text.splitlines():
        for r in PROBLEM_RES:
            if r.search(line):
                bad.append(line.strip())
    return bad


class Tap:
    def __init__(self, prefix):
        self.prefix = prefix
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=None):
        self.n += 1
        print("%s %d - %s: %s" % ("ok" if cond else "not ok", self.n,
                                  self.prefix, name))
        if not cond:
            self.failed += 1
            for d in (detail or "").splitlines():
                print("#   %s" % d)
        return cond

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s: %s # SKIP %s" % (self.n, self.prefix, name, why))

    def done(self):
        print("1..%d" % self.n)
        print("# %s: %d passed, %d failed" % (self.prefix, self.n - self.failed,
                                              self.failed))
        return 1 if self.failed else 0


def fmt(pairs):
    return "\n".join("0x%x 0x%x %s" % (p[0], p[1], " ".join(p[2:]))
                     for p in pairs) or "(none)"


def check(args):
    text = read_log(args.log)
    t = Tap(args.name)
    sec = sections(text)

    t.ok("@@xenboot timeout" not in text, "boot finished in time")
    t.ok("@@xenboot dom0 up" in text, "dom0 reached /init")
    t.ok("@@xenboot done" in text, "dom0 /init ran to the end")
    bad = problems(text)
    t.ok(not bad, "no oops, panic, BUG or WARN", "\n".join(bad[:10]))

    xen = xen_regions(text)
    if args.expect_regions:
        # What the scenario needs of Xen, apart from what our kernel does.
        layout, want = log_layout(text)
        miss = layout_needs(layout, want, xen) if layout else \
            ["no layout recorded in the log"]
        t.ok(not miss, "layout %s: %s" % (
            "produced: %s" % layout if not miss else
            "not produced: %s: %s" % (layout, miss[0]), ranges_str(xen)),
            "\n".join(miss))
    dbg_lines, dbg_rc = sec.get("extregions-debugfs", ([], -1))
    tool_lines, tool_rc = sec.get("extregions-tool", ([], -1))
    if args.expect_regions:
        t.ok(len(xen) >= 1, "Xen advertised extended regions",
             "no '(XEN) d0: extended region' lines")
        want_holes = [(a[1] + 1, b[0] - 1) for a, b in zip(xen, xen[1:])]
        t.ok(tool_rc == 0, "xen-extregions ran in dom0 on /sys/firmware/fdt",
             "\n".join(tool_lines[-5:]))
        t.ok(items(tool_lines, "region") == xen,
             "tool regions equal Xen's", "xen:\n%s\ntool:\n%s" %
             (fmt(xen), fmt(items(tool_lines, "region"))))
        t.ok(items(tool_lines, "hole") == want_holes,
             "tool holes are the gaps between Xen's regions",
             "want:\n%s\ntool:\n%s" % (fmt(want_holes),
                                       fmt(items(tool_lines, "hole"))))
        if args.stock:
            # The stock kernel parses no extended region for the pool.
            t.ok(dbg_rc != 0, "stock: no debugfs xen/extended_regions",
                 "\n".join(dbg_lines[-5:]))
    if args.expect_regions and not args.stock:
        t.ok(dbg_rc == 0, "debugfs xen/extended_regions readable",
             "\n".join(dbg_lines[-5:]))
        t.ok(items(dbg_lines, "region") == xen,
             "Linux parsed the regions Xen advertised", "xen:\n%s\nlinux:\n%s" %
             (fmt(xen), fmt(items(dbg_lines, "region"))))
        holes = items(dbg_lines, "hole")
        t.ok([h[:2] for h in holes] == want_holes and
             all(h[2:] == ("busy",) for h in holes),
             "every hole is inserted into the Xen resource as busy",
             "want:\n%s\nlinux:\n%s" % (fmt(want_holes), fmt(holes)))
        span = items(dbg_lines, "span")
        t.ok(bool(xen) and span == [(xen[0][0], xen[-1][1])],
             "Xen resource spans the first to the last region",
             fmt(span))
        t.ok(items(dbg_lines, "usable") == items(tool_lines, "usable") and
             len(items(dbg_lines, "usable")) >= 1,
             "kernel and tool agree on the usable part of each region",
             "linux:\n%s\ntool:\n%s" % (fmt(items(dbg_lines, "usable")),
                                        fmt(items(tool_lines, "usable"))))
    if args.expect_regions:
        usable = items(tool_lines if args.stock else dbg_lines, "usable")
        t.ok(all(any(r[0] <= u[0] and u[1] <= r[1] for r in xen)
                 for u in usable),
             "every usable range lies inside a region Xen advertised",
             fmt(usable))
        ram = system_ram(sec)
        t.ok(bool(ram) and not meeting(ram, xen),
             "no region intersects System RAM", fmt(ram))
    elif args.expect_iomem:
        # No extended regions (x86): the pool's space is iomem_resource,
        # and every chunk lies above 4 GiB and above every range that
        # /proc/iomem describes (scratch ranges aside).
        stats = dict(l.split(None, 1) for l in
                     sec.get("unpopulated-stats", ([], 0))[0] if " " in l)
        t.ok(stats.get("resource") == "iomem",
             "the pool's space is iomem_resource", repr(stats.get("resource")))
        top = [tuple(int(x, 16) for x in m.groups()[:2]) + (m.group(3),)
               for m in re.finditer(r"^([0-9a-f]+)-([0-9a-f]+) : (.*)$",
                                    "\n".join(sec.get("iomem", ([], 0))[0]),
                                    re.M)
               if m.group(3) != "Xen scratch"]
        chunks = items(sec.get("unpopulated-chunks", ([], 0))[0], "chunk")
        t.ok(bool(top) and bool(chunks), "iomem and the pool's chunks listed",
             "iomem: %d entries, %d chunks" % (len(top), len(chunks)))
        # RAM and PCI windows: what Linux may use or hand to devices.
        used = max([e for _s, e, n in top
                    if n == "System RAM" or n.startswith("PCI Bus")] or [0])
        low = [c for c in chunks if c[0] < 1 << 32 or c[0] <= used]
        t.ok(not low, "every chunk lies above 4 GiB, all RAM and every PCI "
             "window (which end at 0x%x)" % used, fmt(low))
        over = [(c[0], c[1], n) for c in chunks for s_, e, n in top
                if c[0] <= e and s_ <= c[1]]
        t.ok(not over, "no chunk meets a range iomem describes", fmt(over))
    elif args.expect_no_regions:
        t.ok(not xen, "Xen advertised no extended region", fmt(xen))
        t.ok(re.search(r"extended regions: No extended regions are found, "
                       r"using ballooned pages", text) is not None,
             "dom0 logs the fallback to ballooned pages")
        t.ok(dbg_rc != 0, "no debugfs xen/extended_regions without regions",
             "\n".join(dbg_lines))
        t.ok(tool_rc == 0 and not [l for l in tool_lines if l.strip()],
             "xen-extregions prints nothing for a tree with only region 0",
             "\n".join(tool_lines))

    if args.small_region:
        used = re.findall(r"xut_every_region_used: region 0x([0-9a-f]+)-0x([0-9a-f]+) "
                          r"\((\d+) MiB\): (\d+) MiB usable, (\d+) MiB used", text)
        for s_, e_, _size, usable, got in used:
            t.ok(int(got) == int(usable) and int(usable) > 0,
                 "region 0x%s-0x%s wholly used by the pool (%s of %s MiB)" %
                 (s_, e_, got, usable))
        t.ok(sorted((int(a, 16), int(b, 16)) for a, b, *_ in used) == xen,
             "the pool was exhausted in every region Xen advertised",
             "kunit:\n%s\nxen:\n%s" % ("\n".join(" ".join(u) for u in used), fmt(xen)))

    if args.debug:
        # The debug dom0: its checkers were on, and kmemleak found nothing
        # after the tests (what it suspected after boot was cleared, and
        # may only be the baseline's: none of it may be ours).
        for what, line in (("KASAN", "KernelAddressSanitizer initialized"),
                           ("kmemleak", "Kernel memory leak detector initialized"),
                           ("lockdep", "Lock dependency validator")):
            t.ok(line in text, "debug kernel: %s is on" % what,
                 "no %r in the console" % line)
        stats, _rc = sec.get("lockdep-stats", ([], -1))
        t.ok(any(re.match(r"\s*debug_locks:\s+1$", l) for l in stats),
             "lockdep still on after the tests (it stops at its first report)",
             "\n".join(l for l in stats if "debug_locks" in l) or "no lockdep-stats")
        boot_leaks, boot_rc = sec.get("kmemleak-boot", ([], -1))
        ours = [l for l in boot_leaks if re.search(
            r"xen_unpop|unpopulated|extended_region|xut_|xer_|gnttab|gntdev", l)]
        t.ok(boot_rc == 0 and not ours,
             "kmemleak after boot and KUnit: nothing of the Xen drivers' "
             "(%d lines suspected)" % len(boot_leaks), "\n".join(ours[:20]))
        leaks, rc = sec.get("kmemleak", ([], -1))
        t.ok(rc == 0 and not [l for l in leaks if "unreferenced object" in l],
             "kmemleak scan after the kselftests reports nothing",
             "rc=%d\n%s" % (rc, "\n".join(leaks[:40])))

    if args.balloon:
        # dom0's balloon target lowered by args.balloon MiB, then raised
        # to that much above where it started (xu.balloon): it gives the
        # RAM back and takes it again, and its counters stay sane: none
        # gone below zero, as one does when pages it never had sit on its
        # list (seed pages freed to it) or balloon_init() reset it under
        # them.
        lines, rc = sec.get("balloon", ([], -1))
        vals, part = ({}, {}, {}), 0
        for line in lines:
            part = {"lowered": 1, "raised": 2}.get(line, part)
            m = re.match(r"^(target_kb|info/\w+|offline_pages|page_kb):(\d+)$", line)
            if m:
                vals[part][m.group(1)] = int(m.group(2))
        cur = [v.get("info/current_kb") for v in vals]
        t.ok(rc == 0 and None not in cur, "the balloon's counters read "
             "before, lowered and raised", "\n".join(lines[-14:]))
        insane = ["%s %s" % kv for d in vals for kv in d.items() if kv[1] >= 1 << 40]
        t.ok(not insane, "the balloon's counters stay sane (none wrapped)",
             "\n".join(insane))
        held = [(v.get("offline_pages", -1) * v.get("page_kb", 0),
                 v.get("info/low_kb", 0) + v.get("info/high_kb", 0)) for v in vals]
        t.ok(all(o == b for o, b in held),
             "the pages marked offline are the balloon's own, at each step "
             "(offline kB, balloon kB: %s)" % ", ".join("%d %d" % h for h in held))
        if None not in cur:
            t.ok(cur[1] <= cur[0] - args.balloon * 1024 and cur[2] >= cur[0],
                 "the balloon gave %d MiB back and took it again "
                 "(%d kB, %d kB, %d kB)" % (args.balloon, cur[0], cur[1], cur[2]))

    if args.balloon_grow:
        # dom0's target raised above its reservation with nothing on the
        # balloon's list (xu.balloon-grow): only memory hotplug could
        # meet it.  Dom0 on Arm is mapped 1:1 and cannot populate
        # hotplugged memory: ours adds none, stock's adds sections (into
        # an extended region, as likely as not).
        lines, rc = sec.get("balloon-grow", ([], -1))

        def ram(tag):
            return system_ram(sec, [l.split(" ", 1)[1] for l in lines
                                    if l.startswith(tag + " ")])
        before, after = ram("before"), ram("after")
        blocks = re.findall(r"^memory_blocks:(\d+)$", "\n".join(lines), re.M)
        t.ok(rc == 0 and bool(before) and len(blocks) == 2 and "raised" in lines,
             "balloon-grow: System RAM and memory blocks read before and "
             "after the target was raised", "\n".join(lines[-14:]))
        added = [r for r in after if r not in before]
        inside = meeting(added, xen)
        if args.stock:
            where = "inside an extended region" if inside else \
                "outside every region"
            if added:
                t.ok(True, "stock: the raised target hotplugged %s (%s)" %
                     (ranges_str(added), where))
            else:
                t.skip("stock: the raised target hotplugged memory",
                       "stock hotplugged nothing here")
        else:
            t.ok(not added and len(set(blocks)) == 1,
                 "no memory hotplugged for the raised target "
                 "(memory blocks %s)" % " -> ".join(blocks), fmt(added))
            t.ok(bool(after) and not inside,
                 "no region intersects System RAM after the raise",
                 fmt(inside))

    if args.faults:
        # xen-unpop-faults: TAP of its own, case by case.
        lines, rc = sec.get("faults", ([], -1))
        res = [TAP_RE.match(l) for l in lines]
        res = [m for m in res if m and not m.group(1)]
        for m in res:
            t.ok(m.group(2) == "ok", "faults: %s" % m.group(4))
        cases = {m.group(4).split(":")[0] for m in res}
        t.ok(rc == 0 and len(cases) >= args.faults,
             "fault injection ran its %d cases and exited 0" % args.faults,
             "rc=%d, cases: %s\n%s" % (rc, " ".join(sorted(cases)),
                                        "\n".join(lines[-10:])))

    if args.debugfs_has:
        listing, _rc = sec.get("debugfs-xen", ([], -1))
        for path in args.debugfs_has:
            t.ok(path in listing, "debugfs xen/%s exists" % path,
                 "xen/ holds: %s" % " ".join(listing))

    if args.kunit or args.kunit_ran:
        cases, suites, parse_errors = kunit_parse(text)
        t.ok(not parse_errors, "KUnit output parses cleanly with tools/testing/kunit/kunit.py parse",
             parse_errors)
        for spec in args.kunit:
            suite, _, least = spec.partition(":")
            least = int(least or 1)
            mine = [c for c in cases if c[0] == suite]
            t.ok(len(mine) >= least,
                 "KUnit suite %s ran at least %d cases" % (suite, least),
                 "ran %d" % len(mine))
            for _s, name, good, status in mine:
                t.ok(good, "KUnit %s.%s%s" % (suite, name, " (skipped)" if status == "SKIP" else ""))
            t.ok((suite, True) in suites, "KUnit suite %s passed" % suite)
        for spec in args.kunit_ran:
            suite, _, case = spec.partition(".")
            st = [c[3] for c in cases if c[0] == suite and c[1] == case]
            t.ok(st == ["PASS"], "KUnit %s ran and passed, not skipped" % spec,
                 "status: %s" % (st or "not reported"))
    for name in args.kselftest:
        t.ok("kselftest-" + name in sec, "kselftest %s ran in dom0" % name)
    for spec in args.kselftest_skip:
        name, _, why = spec.partition(":")
        lines, rc = sec.get("kselftest-" + name, ([], -1))
        plan = [l for l in lines if l.startswith("1..")]
        t.ok(rc == 4 and bool(plan) and plan[0].startswith("1..0 # SKIP") and
             why in plan[0],
             "kselftest %s skips cleanly (exit 4, %r)" % (name, why),
             "rc=%d\n%s" % (rc, "\n".join(lines[-10:])))
    skipped = ["kselftest-" + s_.partition(":")[0] for s_ in args.kselftest_skip]
    for name, (lines, rc) in sorted(sec.items()):
        if not name.startswith("kselftest-") or name in skipped:
            continue
        ran = 0
        for line in lines:
            m = TAP_RE.match(line)
            if m and not m.group(1):
                ran += 1
                t.ok(m.group(2) == "ok" and m.group(5) != "SKIP",
                     "%s: %s" % (name, m.group(4)),
                     "skipped: a test that did not run counts as failed"
                     if m.group(5) == "SKIP" else "\n".join(lines[-20:]))
        t.ok(ran > 0, "%s reported results" % name)
        t.ok(rc == 0, "%s exited 0" % name, "rc=%d" % rc)
    return t.done()


def show(args):
    text = read_log(args.log)
    sec = sections(text)
    m = LAYOUT_RE.search(text)
    if m:
        print("Layout %s: /reserved-memory %s" % (m.group(1), m.group(3)))
    print("Xen advertised to dom0 (Xen's numbering, inclusive ends):")
    for i, (s, e) in enumerate(xen_regions(text)):
        print("  extended region %d: 0x%x-0x%x (%d MiB)" %
              (i, s, e, (e - s + 1) >> 20))
    if not xen_regions(text):
        print("  no extended regions")
    print("Linux (debugfs xen/extended_regions):")
    for line in sec.get("extregions-debugfs", (["  (not present)"], 0))[0]:
        print("  " + line)
    print("xen-extregions on /sys/firmware/fdt in dom0:")
    for line in sec.get("extregions-tool", (["  (not run)"], 0))[0]:
        print("  " + line)
    print("Unpopulated pool after the tests (debugfs xen/unpopulated/):")
    for name in ("unpopulated-stats", "unpopulated-chunks"):
        for line in sec.get(name, (["  (not present)"], 0))[0]:
            print("  " + line)
    for name, (lines, rc) in sorted(sec.items()):
        if name.startswith("kselftest-"):
            tap = [l for l in lines if TAP_RE.match(l)]
            good = [l for l in tap if l.startswith("ok")]
            print("%s: %d of %d ok" % (name, len(good), len(tap)))
    cases, suites, _problems = kunit_parse(text)
    for suite, good in suites:
        n = len([c for c in cases if c[0] == suite])
        print("KUnit %s: %s (%d cases)" % (suite, "ok" if good else "FAILED", n))
    return 0


def tally(args):
    passed = failed = 0
    for path in args.files:
        results = 0
        lines = read_log(path).splitlines()
        for i, line in enumerate(lines):
            m = TAP_RE.match(line)
            if not m or m.group(1):
                continue
            results += 1
            if m.group(2) == "ok":
                passed += 1
            else:
                failed += 1
                print("FAILED: %s: %s" % (os.path.basename(path), line.strip()))
                # What the check said of it, for a log read from afar.
                for d in itertools.takewhile(lambda l: l.startswith("#   "),
                                             lines[i + 1:i + 21]):
                    print("  " + d)
        # A check that died before its first line (a boot that left no
        # log) must not vanish from the count.
        if not results:
            failed += 1
            print("FAILED: %s: no result in it" % os.path.basename(path))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    b = sub.add_parser("boot", help="boot Xen + dom0 once under QEMU")
    b.add_argument("--arch", default="arm64", choices=["arm64", "x86_64"])
    b.add_argument("--xen", default=None,
                   help="Xen binary (default: by --arch and --xen-version)")
    b.add_argument("--xen-version", default=XEN_VERSION,
                   choices=sorted({v for _a, v in XEN_BINARIES}),
                   help="Debian's Xen to boot (default: $XEN or 4.17)")
    b.add_argument("--kernel", default=os.path.join(
        BUILD, "linux-ours/obj-arm64/arch/arm64/boot/Image"))
    b.add_argument("--initrd", default=os.path.join(BUILD, "initrd.cpio.gz"))
    b.add_argument("--xen-cmdline", default="", help="extra Xen options")
    b.add_argument("--dom0-cmdline", default="", help="extra dom0 options")
    b.add_argument("--mem", default="2048", help="guest RAM in MiB")
    b.add_argument("--dom0-mem", default="512M")
    b.add_argument("--gic", default="3")
    b.add_argument("--cpu", default="cortex-a57",
                   help="arm64 CPU model (16 KiB pages need one that has "
                   "them, such as cortex-a76; a57 has 4 and 64 KiB only)")
    b.add_argument("--smp", default=2, type=int)
    b.add_argument("--timeout", default=300, type=int)
    b.add_argument("--stall", default=0, type=int, metavar="SECONDS",
                   help="stop the boot when the console stays silent that "
                   "long (0: only --timeout)")
    b.add_argument("--layout", default="regions", choices=sorted(LAYOUTS),
                   help="arm64: the extended regions Xen is to give dom0, "
                   "made with /reserved-memory in the host device tree "
                   "(qemu: QEMU's tree as it is)")
    b.add_argument("--log", required=True)
    b.add_argument("--echo", action="store_true", help="copy the console to stdout")
    b.add_argument("--qemu-extra", nargs="*", default=[])

    c = sub.add_parser("check", help="assertions on a boot log, TAP")
    c.add_argument("log")
    c.add_argument("--name", default="boot")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--expect-regions", action="store_true")
    g.add_argument("--expect-no-regions", action="store_true")
    g.add_argument("--expect-iomem", action="store_true",
                   help="no extended regions: the pool on iomem_resource (x86)")
    g.add_argument("--expect-boot", action="store_true",
                   help="only a clean boot, the KUnit suites and kselftests "
                   "named (a prefix of the series: make bisect)")
    c.add_argument("--kunit", action="append", default=[], metavar="SUITE[:MIN]",
                   help="KUnit suite that must pass, with at least MIN cases")
    c.add_argument("--stock", action="store_true",
                   help="the stock kernel: Xen and the tool see the regions, "
                   "Linux has no debugfs view of them")
    c.add_argument("--debug", action="store_true",
                   help="a debug dom0: KASAN, lockdep and kmemleak on, "
                   "kmemleak clean after the tests")
    c.add_argument("--balloon", type=int, default=0, metavar="MIB",
                   help="dom0 lowered its balloon target by MIB MiB and "
                   "raised it again (xu.balloon=MIB): counters sane")
    c.add_argument("--balloon-grow", action="store_true",
                   help="dom0 raised its balloon target with nothing on the "
                   "balloon's list (xu.balloon-grow=MIB), on Arm: no memory "
                   "hotplugged (with --stock: what stock hotplugged)")
    c.add_argument("--faults", type=int, default=0, metavar="N",
                   help="xen-unpop-faults ran N cases, all passing")
    c.add_argument("--small-region", action="store_true",
                   help="the pool, exhausted, used every region whole")
    c.add_argument("--kunit-ran", action="append", default=[], metavar="SUITE.CASE",
                   help="KUnit case that must have passed, not been skipped")
    c.add_argument("--debugfs-has", action="append", default=[], metavar="PATH",
                   help="file or directory under debugfs's xen/ that must exist")
    c.add_argument("--kselftest", action="append", default=[], metavar="NAME",
                   help="kselftest program that must have run in dom0")
    c.add_argument("--kselftest-skip", action="append", default=[],
                   metavar="NAME[:REASON]",
                   help="kselftest program that must skip as a whole (exit 4)")

    s = sub.add_parser("show", help="what Xen advertised and Linux found")
    s.add_argument("log")

    t = sub.add_parser("tally", help="sum TAP files")
    t.add_argument("files", nargs="+")

    args = p.parse_args()
    if args.cmd == "boot":
        _text, rc, timed_out = boot(args)
        print("xenboot: qemu exit %d%s, log in %s" %
              (rc, " (timeout)" if timed_out else "", args.log), file=sys.stderr)
        return 1 if timed_out else 0
    return {"check": check, "show": show, "tally": tally}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
