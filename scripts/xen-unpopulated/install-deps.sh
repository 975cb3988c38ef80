#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the xen-unpopulated build, boot harness and tests need
# on a Debian 12 machine.  Idempotent: a second run installs nothing.
# Foreign packages (arm64, amd64's Xen, Debian 13's) are fetched with
# apt-get download and unpacked with dpkg -x under $OUT/sysroot*; they are
# never dpkg -i'd.  Each sysroot holds what the suites serve now: when
# the lists are more than $APT_MAX_AGE minutes old (60) they are updated,
# and a sysroot whose packages have a newer version is made again.
# Every fetched package's name and version goes to $OUT/versions.txt
# (and $OUT/results/versions.txt), with those of the host packages the
# tests run on.
#
# Debian 13's packages (Xen 4.20) come from a private apt state under
# $OUT/apt-trixie whose sources name Debian 13's suites on the mirror the
# machine's own sources name: the machine's sources and packages never
# change.

set -euo pipefail

OUT=${OUT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
APT_MAX_AGE=${APT_MAX_AGE:-60}
HOST_PKGS="build-essential bc bison flex libssl-dev libelf-dev cpio kmod
	rsync xz-utils python3 ccache gcc-aarch64-linux-gnu
	libc6-dev-arm64-cross qemu-system-arm device-tree-compiler libfdt-dev
	linux-source-6.1 linux-source-6.12 sparse gcc-arm-linux-gnueabihf qemu-system-x86
	clang libclang-rt-14-dev"
# make bench draws its picture with matplotlib (BENCH=1: make bench).
[ -z "${BENCH:-}" ] || HOST_PKGS="$HOST_PKGS python3-matplotlib"
# Host packages whose versions the results depend on (versions.txt).
HOST_REPORT="linux-source-6.1 linux-source-6.12 qemu-system-arm
	qemu-system-x86 gcc-aarch64-linux-gnu gcc clang device-tree-compiler"
# Xen 4.17 for arm64 and a static busybox, under $OUT/sysroot.
FOREIGN_PKGS="xen-hypervisor-4.17-arm64:arm64 busybox-static:arm64"
# The x86_64 PV dom0 boot: Xen for amd64 and a static busybox, unpacked
# under $OUT/sysroot-x86 (never installed on the build machine).
X86_PKGS="xen-hypervisor-4.17-amd64:amd64 busybox-static:amd64"
# Xen 4.17's arm64 toolstack for dom0 (make guests), unpacked under
# $OUT/sysroot-tools: xl, xenstored, xenconsoled and the libraries they
# load, glibc's included (libgcc-s1: glibc loads it at run time).
TOOLS_PKGS="xen-utils-4.17 xen-utils-common xenstore-utils libc6 libgcc-s1
	libncurses6 libtinfo6 libxencall1 libxenevtchn1 libxenforeignmemory1
	libxengnttab1 libxenmisc4.17 libxenstore4 libxentoollog1 libxenhypfs1
	libxendevicemodel1 libxentoolcore1 libyajl2 libfdt1 libuuid1 zlib1g"
# Debian 13's Xen 4.20 for arm64 (XEN=4.20), under $OUT/sysroot-4.20,
# and its arm64 toolstack with Debian 13's libraries, under
# $OUT/sysroot-tools-4.20 (make guests XEN=4.20).
TRIXIE_XEN_PKGS="xen-hypervisor-4.20-arm64:arm64"
TRIXIE_TOOLS_PKGS="xen-utils-4.20 xen-utils-common xenstore-utils libc6
	libgcc-s1 libncurses6 libtinfo6 libxencall1 libxenevtchn1
	libxenforeignmemory1 libxengnttab1 libxenmisc4.20 libxenstore4
	libxentoollog1 libxenhypfs1 libxendevicemodel1 libxentoolcore1
	libyajl2 libfdt1 libuuid1 zlib1g libext2fs2t64 libcom-err2"
# The mainline baseline the series is written for (objdir.sh's
# mainline_version, the newest upstream-X.Y.diff in patches/): Debian
# 13's linux-source-X.Y, from trixie-backports, under
# $OUT/linux-source-X.Y.deb (baseline.sh unpacks its tarball).
# shellcheck source=objdir.sh
. "$(dirname "$0")/objdir.sh"
MAINLINE=$(mainline_version)

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# stale STAMP: whether STAMP is missing or older than APT_MAX_AGE minutes.
stale() {
	[ -z "$(find "$1" -mmin -"$APT_MAX_AGE" 2>/dev/null)" ]
}

missing=
for p in $HOST_PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed' || missing="$missing $p"
done

mkdir -p "$OUT"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
	rm -f "$OUT/.apt-updated"
fi
if [ -n "$missing" ] || stale "$OUT/.apt-updated"; then
	$SUDO apt-get update -qq
	touch "$OUT/.apt-updated"
fi

if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	$SUDO env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $missing
fi

# Debian 13's suites on the machine's own mirrors, in a private state.
TRIXIE=$OUT/apt-trixie
mirror() {
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' | sort -u |
		awk -v want="$1" '($2 ~ /-security$/) == want { print $1; exit }'
}
main_uri=$(mirror 0)
security_uri=$(mirror 1)
[ -n "$main_uri" ] && [ -n "$security_uri" ] ||
	{ echo "install-deps: no Debian mirror in the machine's apt sources" >&2; exit 1; }
mkdir -p "$TRIXIE/lists/partial" "$TRIXIE/cache/archives/partial"
key=/usr/share/keyrings/debian-archive-keyring.gpg
cat > "$TRIXIE/sources.list.new" <<EOF
deb [signed-by=$key] $main_uri trixie main
deb [signed-by=$key] $main_uri trixie-backports main
deb [signed-by=$key] $security_uri trixie-security main
EOF
TRIXIE_APT=(-o Dir::Etc::sourcelist="$TRIXIE/sources.list"
	-o Dir::Etc::sourceparts=- -o Dir::State::Lists="$TRIXIE/lists"
	-o Dir::Cache="$TRIXIE/cache" -o APT::Architectures::=amd64
	-o APT::Architectures::=arm64)
if ! cmp -s "$TRIXIE/sources.list.new" "$TRIXIE/sources.list" ||
   stale "$TRIXIE/.updated"; then
	mv "$TRIXIE/sources.list.new" "$TRIXIE/sources.list"
	apt-get "${TRIXIE_APT[@]}" update -qq
	touch "$TRIXIE/.updated"
fi
rm -f "$TRIXIE/sources.list.new"

# unpack DIR [APT_OPTION...] -- PACKAGE...: the versions the suites
# offer now, fetched with apt-get download and unpacked with dpkg -x into
# DIR, which is made again when any of them changed; DIR/.versions says
# which.
unpack() {
	local dir=$1 deb p v want
	local -a opts=()
	shift
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	# One apt-cache call: "name version" of each candidate.
	v=$(apt-cache "${opts[@]}" show --no-all-versions "$@" 2>/dev/null |
		awk '/^Package:/ { p = $2 } /^Version:/ { print p, $2 }')
	want=$(for p in "$@"; do
		echo "$v" | awk -v p="$p" -v n="${p%%:*}" \
			'$1 == n { print p, $2; found = 1; exit }
			 END { if (!found) exit 1 }' ||
			{ echo "install-deps: no package $p" >&2; return 1; }
	done)
	[ "$(cat "$dir/.versions" 2>/dev/null)" = "$want" ] && return 0
	[ -f "$dir/.versions" ] && echo "install-deps: $dir: newer packages, fetching them"
	rm -rf "$dir"
	mkdir -p "$dir/debs"
	(cd "$dir/debs" && apt-get "${opts[@]}" download "$@")
	for deb in "$dir"/debs/*.deb; do
		dpkg -x "$deb" "$dir"
	done
	echo "$want" > "$dir/.versions"
}
unpack "$OUT/sysroot" -- $FOREIGN_PKGS
unpack "$OUT/sysroot-x86" -- $X86_PKGS
# shellcheck disable=SC2046
unpack "$OUT/sysroot-tools" -- $(printf '%s:arm64 ' $TOOLS_PKGS)
unpack "$OUT/sysroot-4.20" "${TRIXIE_APT[@]}" -- $TRIXIE_XEN_PKGS
# shellcheck disable=SC2046
unpack "$OUT/sysroot-tools-4.20" "${TRIXIE_APT[@]}" -- \
	$(printf '%s:arm64 ' $TRIXIE_TOOLS_PKGS)
if [ -n "$MAINLINE" ]; then
	unpack "$OUT/linux-source-$MAINLINE.deb" "${TRIXIE_APT[@]}" -- \
		"linux-source-$MAINLINE"
fi
# The newest linux-source-X.Y Debian 13 serves: when it is newer than
# the series' mainline, the series wants rebasing (versions.txt says so).
newest=$(apt-cache "${TRIXIE_APT[@]}" pkgnames linux-source- 2>/dev/null |
	sed -n 's/^linux-source-\([0-9]*\.[0-9]*\)$/\1/p' | sort -V | tail -n 1)
# QEMU loads Xen for amd64 as a multiboot image, which must not be gzipped.
[ -f "$OUT/sysroot-x86/boot/xen-4.17-amd64" ] ||
	gunzip -k "$OUT"/sysroot-x86/boot/xen-4.17-amd64.gz

for f in "$OUT/sysroot/boot/xen-4.17-arm64" "$OUT/sysroot/bin/busybox" \
	 "$OUT/sysroot-x86/boot/xen-4.17-amd64" "$OUT/sysroot-x86/bin/busybox" \
	 "$OUT/sysroot-tools/usr/lib/xen-4.17/bin/xl" \
	 "$OUT/sysroot-4.20/boot/xen-4.20-arm64" \
	 "$OUT/sysroot-tools-4.20/usr/lib/xen-4.20/bin/xl" \
	 ${MAINLINE:+"$OUT/linux-source-$MAINLINE.deb/usr/src/linux-source-$MAINLINE.tar.xz"}; do
	[ -f "$f" ] || { echo "install-deps: $f missing" >&2; exit 1; }
done

{
	echo "# fetched (apt-get download, dpkg -x)"
	cat "$OUT"/sysroot{,-x86,-tools,-4.20,-tools-4.20}/.versions
	[ -z "$MAINLINE" ] || cat "$OUT/linux-source-$MAINLINE.deb/.versions"
	echo "# newest linux-source in Debian 13: ${newest:-none} (the series' mainline: ${MAINLINE:-none})"
	echo "# host (installed)"
	# shellcheck disable=SC2086
	dpkg-query -W -f='${Package} ${Version}\n' $HOST_REPORT
} > "$OUT/versions.txt"
mkdir -p "$OUT/results"
cp "$OUT/versions.txt" "$OUT/results/versions.txt"
echo "install-deps: ok ($(sed -n 's/^\(xen-hypervisor-[^ :]*\)[^ ]* \(.*\)/\1 \2/p' \
	"$OUT/versions.txt" | paste -sd, | sed 's/,/, /g'))"
