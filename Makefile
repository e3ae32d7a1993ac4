# tinymm — see README.md.
#
#   make run [MEM=128M] [UEFI=1] [SCRIPT=file] [ICOUNT=1] [TIMEOUT=secs] [SMP=n] [QEMU_ARGS="..."]
#            [FILES="host[:/guest] ..."] [GEN="/guest:SIZE ..."] [INIT=busybox|none]
#            [DISK=folder|image] [DISKS="image[,serial=S][,rw] ..."] [SWAP=64M]
#   make bench [RUNS=2] [ONLY=name]
#   make test | gdb [GDB_ARGS="--batch -x file"] | fmt | clippy | deps

MEM ?= 128M
UEFI ?=
SCRIPT ?=
ICOUNT ?=
TIMEOUT ?=
SMP ?=
QEMU_ARGS ?=
GDB_ARGS ?=
RUNS ?= 2
# Only the benchmarks whose name contains this (tinymm bench --only).
ONLY ?=
# Extra initramfs files: FILES="host[:/guest/path] ..." (default guest path
# /data/<basename>), GEN="/guest/path:SIZE ..." (generated content).
FILES ?=
GEN ?=
# pid 1: busybox as /init (tinymm run --init busybox), or no userland but
# FILES (--init none: an /init among them, or Linux's fallbacks and panic).
INIT ?= busybox
# virtio-blk disks: DISK=folder-or-image, the first disk (vda) with serial
# "data", writable, which /init mounts at /data (a folder is packed into a
# fresh ext2 image for the run; an image is changed in place); then
# DISKS="path[,serial=S][,rw] ..." (vdb, ...; an image is a read-only
# snapshot unless rw), then SWAP=64M: a fresh mkswap image with serial
# "swap", turned on by /init (tinymm run --data, --disk, --swap, --swapon).
DISK ?=
DISKS ?=
SWAP ?=

CARGO ?= cargo
TOOLCHAIN := $(shell sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# A flag variable is on when set to anything but empty or 0.
on = $(filter-out 0,$(1))
RUN_ARGS := --mem $(MEM) \
	$(if $(call on,$(UEFI)),--uefi) \
	$(if $(SCRIPT),--script $(SCRIPT)) \
	$(if $(call on,$(ICOUNT)),--icount) \
	$(if $(TIMEOUT),--timeout $(TIMEOUT)) \
	$(if $(SMP),--smp $(SMP)) \
	$(foreach arg,$(QEMU_ARGS),--qemu-arg=$(arg)) \
	$(foreach file,$(FILES),--add=$(file)) \
	$(foreach file,$(GEN),--gen=$(file)) \
	$(if $(DISK),--data=$(DISK)) \
	$(foreach disk,$(DISKS),--disk=$(disk)) \
	$(if $(SWAP),--swap $(SWAP) --swapon) \
	--init $(INIT)

.PHONY: all deps run test gdb bench fmt clippy

all:
	$(CARGO) build

# Installs what a fresh machine lacks: the pinned toolchain (rustup reads
# rust-toolchain.toml), QEMU, OVMF, gdb, and for the C test programs
# (user/c/) gcc, glibc's static libraries, musl-gcc and busybox; mkswap and
# e2fsprogs (mkfs.ext2, e2fsck, debugfs) for disk images.
deps:
	@if ! rustup toolchain list | grep -q '^$(TOOLCHAIN)'; then \
		echo "deps: installing Rust $(TOOLCHAIN)"; rustup toolchain install; fi
	@if ! command -v qemu-system-x86_64 >/dev/null || ! command -v gdb >/dev/null \
		|| [ ! -e /usr/share/OVMF/OVMF_CODE_4M.fd ] || ! command -v gcc >/dev/null \
		|| [ ! -e /usr/lib/x86_64-linux-gnu/libc.a ] || ! command -v musl-gcc >/dev/null \
		|| [ ! -e /bin/busybox ] || [ ! -e /sbin/mkswap ] || [ ! -e /sbin/mkfs.ext2 ]; then \
		echo "deps: installing qemu-system-x86, ovmf, gdb, gcc, libc6-dev, musl-tools, busybox-static, util-linux, e2fsprogs"; \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y qemu-system-x86 ovmf gdb \
			gcc libc6-dev musl-tools busybox-static util-linux e2fsprogs; fi

run: deps
	$(CARGO) run --quiet -p tinymm -- run $(RUN_ARGS)

# Host tests of kernel code and of the user programs' helpers, then the host program's unit tests and the
# QEMU and gdb end-to-end tests in tests/.
test: deps
	$(CARGO) test -p kernel --lib
	$(CARGO) test -p user --lib
	$(CARGO) test -p tinymm

gdb: deps
	$(CARGO) run --quiet -p tinymm -- gdb $(RUN_ARGS) $(GDB_ARGS)

# Benchmarks under -icount (deterministic guest time): a table of wall and
# guest time, each benchmark RUNS times; fork+exec also on Linux 6.1
# (downloaded into target/linux/). Takes about 14 minutes.
bench: deps
	$(CARGO) run --quiet -p tinymm -- bench --runs $(RUNS) $(if $(ONLY),--only '$(ONLY)')

fmt:
	$(CARGO) fmt --all

clippy:
	$(CARGO) clippy --target x86_64-unknown-none -p kernel -- -D warnings
	$(CARGO) clippy -p kernel --lib --tests -- -D warnings
	$(CARGO) clippy --target x86_64-unknown-none -p user -- -D warnings
	$(CARGO) clippy -p user --lib --tests -- -D warnings
	$(CARGO) clippy -p tinymm --all-targets -- -D warnings
