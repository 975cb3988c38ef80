# SPDX-License-Identifier: GPL-2.0
#
# xen-unpopulated: build, boot and test our Linux series (mainline, 6.12, 6.1) as dom0 under
# the real Xen hypervisor in QEMU.  See README.md.
#
#   make run     build and boot our dom0 under Xen, show what it found
#   make test    the test command: the full matrix on mainline, the
#                series checks and one boot on each backport (51 minutes
#                cold on 2 cores here, within 60); closes with "N passed,
#                N failed"
#   make test-configs  the configurations the test command leaves out:
#                16 and 64 KiB pages, the debug dom0, the x86_64 PV dom0,
#                32-bit arm builds
#   make test-6.12  our 6.12 kernel booted, stock 6.12 beside it (first
#                map, dma-bufs), our 6.12 x86_64 PV dom0
#   make test-mainline  the same for the mainline form (7.3)
#   make test-6.1  stock 6.1 booted beside our 6.1 kernel (first map,
#                dma-bufs)
#   make test-all  make test and make test-configs in one run
#   make bench   stock kernel and ours side by side, with ratios
#   make guests  domUs started with xl, PV disk and network served by
#                dom0's backends: ours and stock, three layouts (with
#                KERNEL, MEM, DOM0_MEM or XEN_CMDLINE set: that one boot)
#   make fuzz    libFuzzer on the region logic, FUZZ_TIME seconds (300)
#   make kunit   the pure suite as a maintainer runs it: kunit.py run
#                --kunitconfig=drivers/xen --arch=arm64 (a kernel of its
#                own, under plain QEMU)
#   make bisect  every prefix of the series built for arm64 and x86_64 and
#                booted under Xen with the KUnit suites and kselftests it
#                has (FIRST and LAST: prefixes FIRST..LAST; ARCHS=x86_64
#                or ARCHS=arm64: that one only)
#   make series  the git am-able patch series in out/series/
#                (BASELINE=6.12 or mainline: out/series-X.Y/), signed
#                by git's user.name and user.email
#
# Parameters (make VAR=value):
#   KERNEL        ours | stock            kernel that "make run" boots
#   XEN_CMDLINE   extra Xen options       e.g. ext_regions=no
#   DOM0_CMDLINE  extra dom0 options
#   MEM           guest RAM in MiB        (2048)
#   DOM0_MEM      Xen's dom0_mem          (512M)
#   LAYOUT        regions | small | qemu  the extended regions Xen gives
#                                         dom0 (arm64; reserved-memory in
#                                         the host device tree)
#   XEN           4.17 | 4.20             Debian's Xen (4.20 only arm64)
#   GIC           GIC version             (3)
#   SMP           vCPUs                   (2)
#   EXTRA_CONFIG  extra kernel config fragment, on top of ours
#   TIMEOUT       seconds a boot may take (300)
#   ARCH          arm64 | x86_64 | arm    (arm64; x86_64 boots a PV dom0,
#                                          arm only builds)
#   PAGES         4k | 16k | 64k          arm64 page size (4k)
#   DEBUG         y for the debug arm64 kernel (KASAN, lockdep, kmemleak,
#                 fault injection: scripts/xen-unpopulated/arm64-debug.config)
#   LPAE          y to build 32-bit arm with LPAE
#   CPU           QEMU arm64 CPU          (cortex-a57; cortex-a76 for 16k)
#   BASELINE      6.1 | 6.12 | mainline   Debian's linux-source to patch (6.1);
#                                         mainline: Debian 13's X.Y the
#                                         series is written for (7.3)

KERNEL       ?= ours
XEN_CMDLINE  ?=
DOM0_CMDLINE ?=
MEM          ?= 2048
DOM0_MEM     ?= 512M
LAYOUT       ?= regions
XEN          ?= 4.17
GIC          ?= 3
SMP          ?= 2
EXTRA_CONFIG ?=
TIMEOUT      ?= 300
ARCH         ?= arm64
PAGES        ?= 4k
DEBUG        ?=
LPAE         ?=
BASELINE     ?= 6.1
# BASELINE=mainline: the mainline X.Y the series is written for (the
# newest upstream-X.Y.diff in patches/, objdir.sh's mainline_version).
MAINLINE := $(shell bash -c '. scripts/xen-unpopulated/objdir.sh && mainline_version')
override BASELINE := $(if $(filter mainline,$(BASELINE)),$(MAINLINE),$(BASELINE))
# QEMU's cortex-a57 has no 16 KiB granule; cortex-a76 has all three.
CPU          ?= $(if $(filter 16k,$(PAGES)),cortex-a76,cortex-a57)

# The configuration (scripts/xen-unpopulated/objdir.sh) ARCH and PAGES name.
CONF := $(if $(filter x86_64 x86,$(ARCH)),x86_64,$(if $(filter arm,$(ARCH)),arm$(if $(filter y,$(LPAE)),-lpae),arm64$(if $(filter-out 4k,$(PAGES)),-$(PAGES))$(if $(filter y,$(DEBUG)),-debug)))
export CONF BASELINE XEN

S       := scripts/xen-unpopulated
OUT     := $(CURDIR)/build
RES     := $(OUT)/results
BASE    := $(OUT)/linux-source-$(BASELINE)
SERIES  := $(CURDIR)/out/series$(if $(filter-out 6.1,$(BASELINE)),-$(BASELINE))
BOOT_ARCH := $(if $(filter x86_64,$(CONF)),x86_64,arm64)
INITRD  := $(OUT)/$(if $(filter x86_64,$(BOOT_ARCH)),initrd-x86_64.cpio.gz,initrd.cpio.gz)
IMAGE    = $(OUT)/$(shell BASELINE=$(BASELINE) $(S)/objdir.sh $(CONF) $(1) | tr ' ' /)
RUNLOG   = $(RES)/run-$(KERNEL)$(if $(filter-out arm64,$(CONF)),-$(CONF))$(if $(filter-out 6.1,$(BASELINE)),-$(BASELINE)).log
export OUT

BOOT = $(S)/xenboot.py boot --arch $(BOOT_ARCH) --initrd $(INITRD) \
	--mem $(MEM) --dom0-mem $(DOM0_MEM) --gic $(GIC) --cpu $(CPU) \
	--smp $(SMP) --timeout $(TIMEOUT) --dom0-cmdline "$(DOM0_CMDLINE)" \
	--layout $(LAYOUT) --xen-version $(XEN)

.PHONY: all deps baseline kernel stock initramfs run test bench host-test \
	series checkpatch patches clean fuzz test-6.12 test-mainline test-6.1 test-configs test-all guests bisect kunit profile bench-curve

all: run

deps:
	@$(S)/install-deps.sh

baseline: deps
	@$(S)/baseline.sh

kernel: baseline
	@$(S)/build-kernel.sh ours $(EXTRA_CONFIG)

stock: baseline
	@$(S)/build-kernel.sh stock $(EXTRA_CONFIG)

initramfs: baseline
	@$(S)/mkinitramfs.sh $(INITRD) $(BOOT_ARCH)

run: $(if $(filter stock,$(KERNEL)),stock,kernel) initramfs
	@$(if $(filter arm arm-lpae,$(CONF)),echo "32-bit arm is built and not booted"; exit 1)
	@mkdir -p $(RES)
	@$(BOOT) --kernel $(call IMAGE,$(KERNEL)) \
		--xen-cmdline "gnttab_max_frames=512 $(XEN_CMDLINE)" \
		--log $(RUNLOG)
	@$(S)/xenboot.py show $(RUNLOG)
	@echo "console log: $(RUNLOG)"

# BASELINE=6.12 or mainline: that form's kernels (test-baseline.sh).
test: deps
	@$(S)/$(if $(filter-out 6.1,$(BASELINE)),test-baseline.sh,run-tests.sh)

# Our kernel of that baseline booted, stock beside it: kselftests, first
# map, dma-bufs; our x86_64 PV dom0 of it.
test-6.12: deps
	@BASELINE=6.12 $(S)/test-baseline.sh

test-mainline: deps
	@BASELINE=$(MAINLINE) $(S)/test-baseline.sh

# Stock 6.1 beside our 6.1 kernel (the test command compares on mainline).
test-6.1: deps
	@BASELINE=6.1 $(S)/test-baseline.sh --arm64

# The configurations that are a kernel build each: 16 and 64 KiB pages,
# the debug dom0, the x86_64 PV dom0, 32-bit arm.
test-configs: deps
	@$(S)/run-tests.sh --configs

test-all: deps
	@$(S)/run-tests.sh --all

bisect: deps
	@$(S)/bisect.sh $(FIRST) $(LAST)

# Any of these given on the command line or in the environment: one boot.
GUESTS_ONE := $(filter command environment,$(foreach v,KERNEL MEM DOM0_MEM XEN_CMDLINE,$(firstword $(origin $(v)))))
guests: deps
	@$(S)/guests.sh $(if $(GUESTS_ONE),--one $(KERNEL) $(MEM) $(DOM0_MEM) "$(XEN_CMDLINE)")

host-test:
	@mkdir -p $(RES)
	@$(MAKE) -s -C tools/xen OUTPUT=$(OUT)/host/ \
		TOOLS_INCLUDE=$(OUT)/linux-source-6.1/tools/include >/dev/null
	@tools/xen/tests/run.sh $(OUT)/host/xen-extregions

bench: kernel stock initramfs
	@BENCH=1 $(S)/install-deps.sh
	@$(S)/bench.py

# Only the bench's cost curve (a part of make bench): the pool filled with
# single-page maps and freed at random, ours beside stock, under -icount.
bench-curve: kernel stock initramfs
	@BENCH=1 $(S)/install-deps.sh
	@$(S)/bench.py --curve

# Where a single-page gntdev map+unmap spends its time, stock beside ours:
# instructions counted under -icount, blocks traced by QEMU (profile.py).
profile: kernel stock initramfs
	@$(S)/profile.py

kunit: kernel
	@cd $(OUT)/linux-ours$(if $(filter-out 6.1,$(BASELINE)),-$(BASELINE)) && \
		python3 tools/testing/kunit/kunit.py run --kunitconfig=drivers/xen \
		--arch=arm64 --cross_compile=aarch64-linux-gnu- \
		--build_dir=$(OUT)/kunit-arm64$(if $(filter-out 6.1,$(BASELINE)),-$(BASELINE))

# libFuzzer on the region helpers and on the tool with malformed device
# trees, FUZZ_TIME seconds each, the corpus kept in build/fuzz/.
FUZZ_TIME ?= 300
fuzz: baseline
	@$(S)/fuzz.sh --time $(FUZZ_TIME)

series: baseline
	@$(S)/series.sh $(BASE) $(SERIES)

checkpatch: series
	@$(S)/checkpatch.sh $(SERIES)

# After editing the commits in out/series/git (make series made it):
# write them back into patches/ and our files.  With BASELINE=6.12, from
# out/series-6.12/git into the patches' upstream-6.12.diff.
patches:
	@$(S)/export-patches.sh $(SERIES)/git

clean:
	rm -rf $(OUT)/linux-*/obj-* $(OUT)/results $(OUT)/dom0 $(OUT)/dom0-x86 out
