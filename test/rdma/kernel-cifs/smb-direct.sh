#!/bin/bash
# Guest-side SMB Direct helpers, sourced inside the VM by kernel-cifs/guest.sh, the benchmark
# (test/bench/rdma-guest.sh) and the demo (test/bench/rdma-demo-guest.sh). Nothing runs on load.
#
# Needs from the host (test/support/smb-direct-kit.ts passes them; test/vm/build-smb-modules.sh
# builds them; the guest sees the host's files read-only at the same paths):
#   SMB_MODULES_DIR   cifs.ko and ksmbd.ko built with SMB Direct for the booted kernel
#   KSMBD_TOOLS_DIR   ksmbd-tools unpacked with dpkg -x (never installed: it conflicts with samba)
#
# Facts these rely on (fs/smb/client/smbdirect.c, fs/smb/server/transport_rdma.c, 6.1):
# - the kernel client ignores port= for -o rdma: it connects to rdma_cm port 5445, then 445;
# - ksmbd listens on rdma_cm port 445 on IB/RoCE devices (rxe) and 5445 on iWARP; it and spliced
#   cannot share a port, so ksmbd is stopped (and unloaded) before spliced serves SMB Direct;
# - the client uses RDMA READ/WRITE only for unsigned sessions and I/O of at least 4096 bytes.

sd_srv=${SD_SERVER_ADDR:-10.77.0.1}

sd_need_kit() {
  [ -n "${SMB_MODULES_DIR:-}" ] && [ -f "$SMB_MODULES_DIR/cifs.ko" ] && [ -f "$SMB_MODULES_DIR/ksmbd.ko" ] || {
    echo "no SMB Direct modules (SMB_MODULES_DIR='${SMB_MODULES_DIR:-}'): run test/vm/prepare.sh"
    return 1
  }
}

# insmod a rebuilt module after the stock modules it depends on (modinfo's depends list).
sd_insmod() { # path to .ko
  local deps
  deps=$(/sbin/modinfo -F depends "$1" | tr ',' ' ')
  [ -z "$deps" ] || modprobe -a $deps
  insmod "$1"
}

# The loaded module is the rebuilt one: same srcversion as the file.
sd_loaded_is() { # module name, path to .ko
  local want have
  want=$(/sbin/modinfo -F srcversion "$2")
  have=$(cat "/sys/module/$1/srcversion" 2> /dev/null || true)
  [ "$want" = "$have" ] || { echo "$1: loaded srcversion '$have', the rebuilt module has '$want'"; return 1; }
}

# cifs.ko with CONFIG_CIFS_SMB_DIRECT=y in place of the stock one.
sd_load_cifs() {
  sd_need_kit || return 1
  if grep -q '^cifs ' /proc/modules; then
    grep -q ' cifs ' /proc/mounts && umount -a -t cifs
    rmmod cifs || return 1
  fi
  modprobe -a cifs_arc4 cifs_md4 dns_resolver fscache netfs nls_utf8 || return 1
  sd_insmod "$SMB_MODULES_DIR/cifs.ko" || return 1
  sd_loaded_is cifs "$SMB_MODULES_DIR/cifs.ko"
}

sd_ksmbd() { # ksmbd-tools command, args...
  local cmd=$1
  shift
  LD_LIBRARY_PATH="$KSMBD_TOOLS_DIR/lib/x86_64-linux-gnu:$KSMBD_TOOLS_DIR/usr/lib/x86_64-linux-gnu" \
    "$KSMBD_TOOLS_DIR/usr/sbin/$cmd" "$@"
}

# ksmbd.ko with SMB Direct serving DIR as //SRV/share to USER (force user = root: the SMB user
# has no account in the guest). Its TCP listener moves to TCP_PORT so spliced can keep 445.
sd_start_ksmbd() { # dir, user, password, tcp port, log file
  sd_need_kit || return 1
  [ -x "$KSMBD_TOOLS_DIR/usr/sbin/ksmbd.mountd" ] || { echo "no ksmbd-tools (KSMBD_TOOLS_DIR='${KSMBD_TOOLS_DIR:-}')"; return 1; }
  mkdir -p /etc/ksmbd
  cat > /etc/ksmbd/ksmbd.conf << EOF
[global]
  server signing = disabled
[share]
  path = $1
  read only = no
  force user = root
  oplocks = yes
EOF
  rm -f /etc/ksmbd/ksmbdpwd.db
  sd_ksmbd ksmbd.adduser -a "$2" -p "$3" -c /etc/ksmbd/ksmbd.conf -i /etc/ksmbd/ksmbdpwd.db || return 1
  grep -q '^ksmbd ' /proc/modules || sd_insmod "$SMB_MODULES_DIR/ksmbd.ko" || return 1
  sd_loaded_is ksmbd "$SMB_MODULES_DIR/ksmbd.ko" || return 1
  sd_ksmbd ksmbd.mountd -n -p "$4" -c /etc/ksmbd/ksmbd.conf -u /etc/ksmbd/ksmbdpwd.db > "$5" 2>&1 &
  echo $! > /run/ksmbd-mountd.pid
}

sd_stop_ksmbd() {
  local _
  sd_ksmbd ksmbd.control -s 2> /dev/null || true
  if [ -f /run/ksmbd-mountd.pid ]; then
    kill "$(cat /run/ksmbd-mountd.pid)" 2> /dev/null || true
    rm -f /run/ksmbd-mountd.pid
  fi
  for _ in $(seq 1 50); do
    grep -q '^ksmbd ' /proc/modules || return 0
    rmmod ksmbd 2> /dev/null && return 0
    sleep 0.2
  done
  echo 'ksmbd did not unload'
  return 1
}

# Every step that waits on the server is bounded: a server that stops answering must fail the
# check, not hang the VM until its timeout (the client itself waits up to 120 s to negotiate).
SD_STEP_TIMEOUT=${SD_STEP_TIMEOUT:-60}
sd_bounded() { timeout -k 5 "$SD_STEP_TIMEOUT" "$@"; }

# mount -o rdma, retried while the server's rdma_cm listener comes up (ksmbd starts it
# asynchronously once ksmbd.mountd has connected); an attempt that timed out is not retried.
sd_mount_rdma() { # share, mount point, -o options (rdma added)
  local try rc
  mkdir -p "$2"
  for try in 1 2 3 4 5 6 7 8 9 10; do
    sd_bounded mount -t cifs "//$sd_srv/$1" "$2" -o "rdma,$3" && break
    rc=$?
    if [ $rc = 124 ] || [ $rc = 137 ]; then
      echo "mount -o rdma did not finish within $SD_STEP_TIMEOUT s; the kernel said:"
      dmesg | grep -E 'CIFS|smbd|ucma|rdma|RDMA' | tail -n 6
      return 1
    fi
    [ "$try" = 10 ] && { echo "mount -o rdma failed 10 times; the kernel said:"; dmesg | grep -E 'CIFS|smbd|ucma|rdma|RDMA' | tail -n 6; return 1; }
    sleep 1
  done
  grep -E " $2 cifs " /proc/mounts | tee /run/sd-mount.txt
  grep -q 'rdma' /run/sd-mount.txt
}

# DebugData names the SMBDirect transport (status 2 = connected) for the current session.
sd_debugdata_shows_smbdirect() { # copy to this file
  cat /proc/fs/cifs/DebugData > "$1"
  grep -E 'SMBDirect' "$1"
  grep -qE 'SMBDirect.*transport status: (0x)?2' "$1" || { echo 'DebugData shows no connected SMBDirect transport'; return 1; }
}

sd_unmount() { # mount point
  sd_bounded umount "$1" || { echo "umount $1 failed or hung"; return 1; }
  if grep -E " $1 cifs " /proc/mounts; then echo 'still mounted'; return 1; fi
}

sd_unsigned() { # DebugData copy
  if grep 'SessionId' "$1" | grep -qi 'signed'; then echo 'the session is signed: the kernel would not use RDMA READ/WRITE'; return 1; fi
}

# spliced's config for SMB Direct: rdma port 5445 (the kernel client's first choice).
sd_write_spliced_conf() { # conf file, share dir, users file, metrics port, run-as user, extra [global] lines
  cat > "$1" << EOF
[global]
  tcp port = 445
  rdma port = 5445
  users file = $3
  metrics address = 127.0.0.1:$4
  log level = info
  user = $5
$6
[share]
  path = $2
  read only = no
EOF
}

# "msg: err" of spliced's JSON log lines (pino), one a line.
sd_log_reason() {
  sed -n 's/.*"err":"\([^"]*\)".*"msg":"\(.*\)"}$/\2: \1/p; t; s/.*"msg":"\(.*\)"}$/\1/p' | sed 's/\\"/"/g'
}

# Starts spliced and waits for "spliced started"; fails with its log's reason when SMB Direct
# did not come up ("SMB Direct is not built", "did not start", no device...).
sd_start_spliced() { # conf file, log file, pid file, spliced command...
  local conf=$1 log=$2 pidfile=$3 _
  shift 3
  "$@" serve --config "$conf" > "$log" 2>&1 & # the compiled copy finds native/build on its own
  echo $! > "$pidfile"
  for _ in $(seq 1 600); do
    grep -q '"spliced started"' "$log" && break
    kill -0 "$(cat "$pidfile")" 2> /dev/null || { echo 'spliced exited:'; tail -n 20 "$log"; return 1; }
    sleep 0.2
  done
  grep -q '"spliced started"' "$log" || { echo 'spliced did not start within 120 s'; tail -n 20 "$log"; return 1; }
  if ! grep -q '"listening on SMB Direct"' "$log"; then
    # Its warnings say why: "SMB Direct is not built", "did not start", an unknown key...
    echo "spliced is not listening on SMB Direct: $(grep '"level":[45]0' "$log" | sd_log_reason | tail -n 4 | paste -sd ';')"
    return 1
  fi
  grep '"listening on SMB Direct"' "$log"
}

sd_stop_spliced() { # pid file
  local pid
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  kill "$pid" 2> /dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  rm -f "$1"
}

# One sample of a Prometheus counter from spliced's /metrics (0 when absent).
sd_metric() { # metrics port, series as printed, e.g. 'spliced_rdma_bytes_total{op="write"}'
  curl -sf "http://127.0.0.1:$1/metrics" | awk -v s="$2" '$1 == s { v = $2 } END { printf "%d\n", v + 0 }'
}

# dd in and out through the mount with 1 MiB direct I/O; md5sums must match.
sd_round_trip() { # mount point, server-side dir, name, MiB, scratch dir
  local mnt=$1 back=$2 name=$3 mib=$4 work=$5 want
  head -c "$((mib * 1048576))" /dev/urandom > "$work/$name.src"
  want=$(md5sum < "$work/$name.src")
  sd_bounded dd if="$work/$name.src" of="$mnt/$name" bs=1M oflag=direct status=none
  [ "$(md5sum < "$back/$name")" = "$want" ] || { echo "$name: server copy differs"; return 1; }
  sd_bounded dd if="$mnt/$name" of="$work/$name.back" bs=1M iflag=direct status=none
  [ "$(md5sum < "$work/$name.back")" = "$want" ] || { echo "$name: read back differs"; return 1; }
  echo "$name: $mib MiB in and out, md5 $want"
}
