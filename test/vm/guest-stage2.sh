#!/bin/bash
# Stage 2 (host's bash, inside the guest as PID 1): writable dirs, module tree, soft-RoCE on
# dummy0, then the command from /mnt/vm-out/command.sh; its exit code goes to exit-code.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
out=/mnt/vm-out
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs tmpfs /dev/shm
ln -sf /proc/self/fd /dev/fd
# /tmp and /run stay on the overlay (writable, tmpfs-backed): the repo itself may live there.
kver=$(uname -r)
modsrc=$(cat "$out/modules-dir")
mkdir -p "/lib/modules/$kver" && mount --bind "$modsrc" "/lib/modules/$kver"
finish() { echo "$1" > "$out/exit-code"; sync; echo o > /proc/sysrq-trigger; poweroff -f; }
{
  ip link show dummy0 >/dev/null 2>&1 || ip link add dummy0 type dummy
  ip addr add 10.77.0.1/24 dev dummy0 && ip link set dummy0 mtu 9000 up && ip link set lo up &&
    rdma link add rxe0 type rxe netdev dummy0
} > "$out/setup.log" 2>&1 || finish 125
cd "$(cat "$out/cwd")" || finish 126
bash "$out/command.sh" > "$out/output.log" 2>&1 < /dev/null
finish $?
