#!/bin/bash
# Usage: test/vm/run-in-vm.sh <command...>
# Boots the cached Debian kernel in qemu (TCG) with the host root shared read-only and runs the
# command as root in the guest, in the caller's working directory, with rxe0 on dummy0
# (10.77.0.1/24). Prints the command's output and exits with its exit code. The shared output
# folder is kept and named on stderr (VM_OUT_DIR=<dir> to choose it); files the command writes
# to $VM_OUT (/mnt/vm-out in the guest) appear there. VM_TIMEOUT (seconds, default 600).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache="$repo/.cache/vm"
[ $# -gt 0 ] || { echo "usage: $0 <command...>" >&2; exit 2; }
kernel=$(ls "$cache"/kernel/boot/vmlinuz-* 2>/dev/null | head -1 || true)
initrd="$cache/initramfs.cpio.gz"
if [ -z "$kernel" ] || [ ! -f "$initrd" ] || ! command -v qemu-system-x86_64 >/dev/null; then
  echo "run-in-vm: no VM image; run test/vm/prepare.sh first" >&2
  exit 3
fi
kver=${kernel##*/vmlinuz-}
out=${VM_OUT_DIR:-}
if [ -z "$out" ]; then mkdir -p "$cache/runs" && out=$(mktemp -d "$cache/runs/run-XXXXXX"); fi
mkdir -p "$out"
{ printf 'export VM_OUT=/mnt/vm-out\n'; printf '%q ' "$@"; printf '\n'; } > "$out/command.sh"
pwd > "$out/cwd"
readlink -f "$cache/kernel/lib/modules/$kver" > "$out/modules-dir"
rm -f "$out/exit-code" "$out/output.log"

# One VM at a time on this machine: the cores are shared.
exec 9> "$cache/vm.lock"
flock 9
status=0
timeout --kill-after=5 "${VM_TIMEOUT:-600}" qemu-system-x86_64 \
  -accel tcg,thread=multi -cpu max -m 4G -smp 2 -nographic -no-reboot -nic none \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 quiet panic=-1 oops=panic stage2=$here/guest-stage2.sh" \
  -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -fsdev local,id=vmout,path="$out",security_model=none,multidevs=remap \
  -device virtio-9p-pci,fsdev=vmout,mount_tag=vmout \
  < /dev/null > "$out/console.log" 2>&1 || status=$?
exec 9>&-
echo "run-in-vm: output folder $out" >&2
[ -f "$out/output.log" ] && cat "$out/output.log"
if [ ! -f "$out/exit-code" ]; then
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then echo "run-in-vm: timed out" >&2; fi
  echo "run-in-vm: the guest did not finish (qemu status $status); console:" >&2
  tail -n 40 "$out/console.log" >&2
  [ -f "$out/setup.log" ] && cat "$out/setup.log" >&2
  exit 4
fi
code=$(cat "$out/exit-code")
if [ "$code" = 125 ] && [ -f "$out/setup.log" ]; then echo "run-in-vm: guest setup failed:" >&2; cat "$out/setup.log" >&2; fi
exit "$code"
