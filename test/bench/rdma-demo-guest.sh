#!/bin/bash
# Runs inside the VM for `npm run demo:rdma` (test/bench/rdma-demo.ts): SMB Direct without RDMA
# hardware. rxe0 (soft-RoCE on dummy0, 10.77.0.1) is already up (test/vm/guest-stage2.sh); this
# loads the cifs.ko rebuilt with SMB Direct, serves a share with spliced (`rdma port = 5445`,
# as root), mounts it with -o rdma, copies a file in and out, and prints spliced's
# counters. Every line for the user starts with "demo:" (the host prints them as they come).
set -u
repo=$PWD
source "$repo/test/rdma/kernel-cifs/smb-direct.sh"
work=/run/demo
share=$work/share
mnt=/mnt/spliced
metrics=9448
user=${CIFS_USER:?} pass=${CIFS_PASSWORD:?}
if [ -n "${SPLICED_CLI:-}" ]; then spliced=(node "$repo/$SPLICED_CLI"); else spliced=(node --import tsx "$repo/cli/main.ts"); fi

say() { echo "demo: $*"; }
# Shows a command, runs it and shows its output; stops the demo when it fails.
step() {
  local rc
  say "\$ $*"
  "$@" > "$work/step.out" 2>&1
  rc=$?
  sed 's/^/demo:   /' "$work/step.out"
  [ $rc = 0 ] || { say "failed (exit $rc)"; finish 1; }
}
finish() {
  grep -q " $mnt cifs " /proc/mounts && umount "$mnt"
  sd_stop_spliced "$work/spliced.pid"
  exit "$1"
}

mkdir -p "$work" "$share" "$mnt"
say "RDMA device: $(rdma link show | head -1)"
step sd_load_cifs
chown root "$share"
cp "$repo/$CIFS_USERS_FILE" "$work/users"
sd_write_spliced_conf "$work/spliced.conf" "$share" "$work/users" "$metrics" root ''
say "spliced.conf:"
sed 's/^/demo:   /' "$work/spliced.conf"
step sd_start_spliced "$work/spliced.conf" "$work/spliced.log" "$work/spliced.pid" "${spliced[@]}"
step sd_bounded mount -t cifs "//$sd_srv/share" "$mnt" -o "rdma,vers=3.1.1,username=$user,password=$pass"
step sh -c "grep -E 'SMBDirect|Dialect' /proc/fs/cifs/DebugData"
head -c 8388608 /dev/urandom > "$work/file.bin"
step sd_bounded dd if="$work/file.bin" of="$mnt/file.bin" bs=1M oflag=direct
step sd_bounded dd if="$mnt/file.bin" of="$work/file.back" bs=1M iflag=direct
step md5sum "$work/file.bin" "$share/file.bin" "$work/file.back"
[ "$(md5sum < "$work/file.bin")" = "$(md5sum < "$work/file.back")" ] || { say 'the copies differ'; finish 1; }
step sh -c "curl -sf http://127.0.0.1:$metrics/metrics | grep -E '^spliced_(rdma_|connections\\{transport=\"rdma\"|smbdirect_)'"
say 'RDMA WRITE bytes (op="write") carried the read, RDMA READ bytes (op="read") the write.'
finish 0
