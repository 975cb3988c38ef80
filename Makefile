# SPDX-License-Identifier: GPL-2.0
#
# xen-unpopulated: build, boot and test our Linux 6.1 series as dom0 under
# the real Xen hypervisor in QEMU.  See README.md.
#
#   make run     build and boot our dom0 under Xen, show what it found
#   make test    every test; closes with "N passed, N failed"
#   make bench   stock kernel and ours side by side, with ratios
#   make series  the git am-able patch series in out/series/
#
# Parameters (make VAR=value):
#   KERNEL        ours | stock            kernel that "make run" boots
#   XEN_CMDLINE   extra Xen options       e.g. ext_regions=no
#   DOM0_CMDLINE  extra dom0 options
#   MEM           guest RAM in MiB        (2048)
#   DOM0_MEM      Xen's dom0_mem          (512M)
#   GIC           GIC version             (3)
#   SMP           vCPUs                   (2)
#   EXTRA_CONFIG  extra kernel config fragment, on top of ours
#   TIMEOUT       seconds a boot may take (300)

KERNEL       ?= ours
XEN_CMDLINE  ?=
DOM0_CMDLINE ?=
MEM          ?= 2048
DOM0_MEM     ?= 512M
GIC          ?= 3
SMP          ?= 2
EXTRA_CONFIG ?=
TIMEOUT      ?= 300

S       := scripts/xen-unpopulated
OUT     := $(CURDIR)/build
RES     := $(OUT)/results
BASE    := $(OUT)/linux-source-6.1
INITRD  := $(OUT)/initrd.cpio.gz
IMAGE    = $(OUT)/obj-$(1)/arch/arm64/boot/Image
export OUT

BOOT = $(S)/xenboot.py boot --mem $(MEM) --dom0-mem $(DOM0_MEM) --gic $(GIC) \
	--smp $(SMP) --timeout $(TIMEOUT) --dom0-cmdline "$(DOM0_CMDLINE)"

.PHONY: all deps baseline kernel stock initramfs run test bench host-test \
	series checkpatch clean

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
	@$(S)/mkinitramfs.sh $(INITRD)

run: $(if $(filter stock,$(KERNEL)),stock,kernel) initramfs
	@mkdir -p $(RES)
	@$(BOOT) --kernel $(call IMAGE,$(KERNEL)) \
		--xen-cmdline "gnttab_max_frames=512 $(XEN_CMDLINE)" \
		--log $(RES)/run-$(KERNEL).log
	@$(S)/xenboot.py show $(RES)/run-$(KERNEL).log
	@echo "console log: $(RES)/run-$(KERNEL).log"

test: deps
	@$(S)/run-tests.sh

host-test:
	@mkdir -p $(RES)
	@$(MAKE) -s -C tools/xen OUTPUT=$(OUT)/host/ >/dev/null
	@tools/xen/tests/run.sh $(OUT)/host/xen-extregions

bench: kernel stock initramfs
	@$(S)/bench.py

series: baseline
	@$(S)/series.sh $(BASE) $(CURDIR)/out/series

checkpatch: series
	@$(S)/checkpatch.sh $(CURDIR)/out/series

clean:
	rm -rf $(OUT)/obj-ours $(OUT)/obj-stock $(OUT)/results $(OUT)/dom0 out
