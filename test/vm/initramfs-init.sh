#!/bin/busybox sh
# Stage 1 (busybox, inside the initramfs): load the cached modules, mount the host root
# read-only over 9p with a tmpfs overlay on top, then hand over to stage 2 from the host tree.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "vm-init: $*"; poweroff -f; }
while read -r mod; do
  insmod "/modules/$mod" || fail "insmod $mod failed"
done < /modules/load-order
stage2=$(sed -n 's/.*stage2=\([^ ]*\).*/\1/p' /proc/cmdline)
mkdir -p /lower /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,cache=loose,msize=512000,ro hostroot /lower || fail "9p mount failed"
mount -t tmpfs -o size=2g tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || fail "overlay mount failed"
mkdir -p /newroot/mnt/vm-out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 vmout /newroot/mnt/vm-out || fail "out mount failed"
umount /proc /sys /dev 2>/dev/null
exec switch_root /newroot /bin/bash "$stage2"
