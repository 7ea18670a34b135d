#!/bin/bash
# Runs inside the VM for `npm run bench:rdma` (test/bench/rdma.ts): in one boot, the ib_write_bw
# ceiling, then for ksmbd, spliced (zero-copy) and spliced with `rdma zero copy = no` (bounce
# copies): one cifs mount -o rdma,vers=3.0,cache=none, BENCH_ROUNDS writes of BENCH_MIB MiB
# (dd bs=1M oflag=direct), one warm-up read (it fills spliced's cache; ksmbd's tmpfs file is in
# the page cache already), then BENCH_ROUNDS timed reads (dd bs=1M iflag=direct).
# BENCH_JOBS dd streams run at once (queue depth BENCH_JOBS), each on its own file of
# BENCH_MIB/BENCH_JOBS MiB: ksmbd on 6.1 corrupts a list in smb2_open (kernel BUG) when
# several opens of one file race.
#
# Each measurement is one JSON line in $VM_OUT/bench/results.jsonl:
#   {"server","op","bytes","seconds","serverCpu","guestCpu"} or {"server","error"}
# serverCpu: utime+stime of the spliced process, or of the ksmbd kernel threads (named ksmbd*;
#   ksmbd also works in shared kworkers, which no per-server figure can separate);
# guestCpu: busy time of all guest CPUs from /proc/stat (user+nice+system+irq+softirq+steal):
#   client, rxe and server together, the same client work for every server.
# Progress lines start with "bench:" (the host prints them while the VM runs).
set -u
out=${VM_OUT:?run me through test/vm/run-in-vm.sh}/bench
repo=$PWD
mkdir -p "$out"
: > "$out/results.jsonl"
source "$repo/test/rdma/kernel-cifs/smb-direct.sh"
source "$repo/test/rdma/guest/perftest-ceiling.sh"
mib=${BENCH_MIB:-64}
rounds=${BENCH_ROUNDS:-3}
jobs=${BENCH_JOBS:-1}
(( mib % jobs == 0 )) || { echo "BENCH_MIB ($mib) must be a multiple of BENCH_JOBS ($jobs)" >&2; exit 2; }
user=${CIFS_USER:?} pass=${CIFS_PASSWORD:?}
work=/run/bench
mnt=$work/mnt
metrics=9447
hz=$(getconf CLK_TCK)
# node's arguments for spliced (after any profiling flags).
if [ -n "${SPLICED_CLI:-}" ]; then spliced=("$repo/$SPLICED_CLI"); else spliced=(--import tsx "$repo/cli/main.ts"); fi
# BENCH_SERVERS: which of "ksmbd spliced spliced-copy" to run (all by default).
servers=" ${BENCH_SERVERS:-ksmbd spliced spliced-copy} "
mkdir -p "$work" "$mnt"

progress() { echo "bench: $*"; }

# Clock ticks: all CPUs busy; the ksmbd kernel threads; one process.
guest_busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
ksmbd_ticks() { awk '$2 ~ /^\(ksmbd/ { t += $14 + $15 } END { print t + 0 }' /proc/[0-9]*/stat 2> /dev/null; }
pid_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

server_ticks() { # server label
  case $1 in
    ksmbd) ksmbd_ticks ;;
    *) pid_ticks "$(cat "$work/spliced.pid")" ;;
  esac
}

record_error() { # server, message
  progress "$1: FAILED: $(printf '%s' "$2" | tr '\n' ' ')"
  printf '{"server":"%s","error":"%s"}\n' "$1" "$(printf '%s' "$2" | head -c 600 | tr -d '\000-\010\013-\037' | tr '\n\t' '  ' | sed 's/\\/\\\\/g; s/"/\\"/g')" >> "$out/results.jsonl"
}

# The data in $jobs concurrent dd streams of 1 MiB direct I/O, stream i on bench-i.bin.
transfer() { # read|write
  local op=$1 per=$((mib / jobs)) i rc=0 pids=()
  for ((i = 0; i < jobs; i++)); do
    if [ "$op" = read ]; then
      dd if="$mnt/bench-$i.bin" of="$work/back.bin" iflag=direct seek=$((i * per)) count=$per bs=1M conv=notrunc status=none &
    else
      dd if="$work/src.bin" of="$mnt/bench-$i.bin" oflag=direct skip=$((i * per)) count=$per bs=1M status=none &
    fi
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  return $rc
}
export -f transfer
export mib jobs mnt work

# One timed transfer; appends its JSON line.
measure() { # server, op (read|write)
  local server=$1 op=$2 t0 t1 s0 s1 g0 g1 seconds
  s0=$(server_ticks "$server"); g0=$(guest_busy_ticks); t0=$(date +%s%N)
  timeout -k 5 "$((60 + mib * 2))" bash -c "transfer $op" || return 1
  t1=$(date +%s%N); s1=$(server_ticks "$server"); g1=$(guest_busy_ticks)
  seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  printf '{"server":"%s","op":"%s","bytes":%d,"seconds":%s,"serverCpu":%s,"guestCpu":%s}\n' "$server" "$op" "$((mib * 1048576))" "$seconds" \
    "$(awk -v d="$((s1 - s0))" -v h="$hz" 'BEGIN { printf "%.3f", d / h }')" \
    "$(awk -v d="$((g1 - g0))" -v h="$hz" 'BEGIN { printf "%.3f", d / h }')" >> "$out/results.jsonl"
  progress "$server: $op $mib MiB ($jobs streams) in $seconds s ($(awk -v m="$mib" -v s="$seconds" 'BEGIN { printf "%.1f", m * 1.048576 / s }') MB/s)"
}

# Writes and reads through one mount -o rdma; the server is already up.
run_transfers() { # server label, server-side dir
  local server=$1 back=$2 r
  sd_mount_rdma share "$mnt" "username=$user,password=$pass,vers=3.0,cache=none" > "$out/mount-$server.txt" 2>&1 || {
    record_error "$server" "mount -o rdma failed: $(tail -n 3 "$out/mount-$server.txt")"
    return 1
  }
  sd_debugdata_shows_smbdirect "$out/debug-data-$server.txt" > /dev/null || { record_error "$server" 'DebugData shows no SMBDirect transport'; sd_unmount "$mnt" > /dev/null; return 1; }
  for ((r = 1; r <= rounds; r++)); do
    measure "$server" write || { record_error "$server" 'dd write failed'; break; }
  done
  [ "$(for ((r = 0; r < jobs; r++)); do cat "$back/bench-$r.bin"; done | md5sum | cut -c1-32)" = "$src_md5" ] || record_error "$server" 'the server-side file differs from what was written'
  rm -f "$work/back.bin"
  progress "$server: warm-up read"
  for ((r = 0; r < jobs; r++)); do timeout -k 5 "$((60 + mib * 2))" dd if="$mnt/bench-$r.bin" of=/dev/null bs=1M iflag=direct status=none; done
  for ((r = 1; r <= rounds; r++)); do
    measure "$server" read || { record_error "$server" 'dd read failed'; break; }
  done
  [ "$(md5sum < "$work/back.bin" | cut -c1-32)" = "$src_md5" ] || record_error "$server" 'the data read back differs'
  sd_unmount "$mnt" > /dev/null
}

fresh_share() { # dir, owner
  grep -q " $1 " /proc/mounts && umount "$1"
  mkdir -p "$1" && mount -t tmpfs -o size=$((mib * 2 + 64))m tmpfs "$1" && chown "$2" "$1"
}

bench_spliced() { # server label, extra [global] lines
  local server=$1
  fresh_share "$work/spliced-share" root
  sd_write_spliced_conf "$work/$server.conf" "$work/spliced-share" "$work/users" "$metrics" root "$2"
  progress "$server: starting spliced"
  local node=(node)
  # BENCH_PROFILE=1: a V8 CPU profile of each spliced run in $VM_OUT/bench/profile-<server>/.
  [ "${BENCH_PROFILE:-}" = 1 ] && node+=(--cpu-prof --cpu-prof-dir="$out/profile-$server")
  if ! sd_start_spliced "$work/$server.conf" "$out/$server.log" "$work/spliced.pid" "${node[@]}" "${spliced[@]}" > "$out/start-$server.txt" 2>&1; then
    record_error "$server" "$(cat "$out/start-$server.txt")"
    sd_stop_spliced "$work/spliced.pid"
    return
  fi
  # An ignored key would measure zero-copy under the forced-copy label.
  if grep -q 'unknown parameter' "$out/$server.log"; then
    record_error "$server" "spliced ignored part of its config: $(grep 'unknown parameter' "$out/$server.log" | sd_log_reason | paste -sd ';')"
    sd_stop_spliced "$work/spliced.pid"
    return
  fi
  run_transfers "$server" "$work/spliced-share"
  curl -sf "http://127.0.0.1:$metrics/metrics" | grep -E '^spliced_(rdma|read|cache)' > "$out/metrics-$server.txt" || true
  sd_stop_spliced "$work/spliced.pid"
}

bench_ksmbd() {
  fresh_share "$work/ksmbd-share" root
  progress 'ksmbd: starting'
  if ! sd_start_ksmbd "$work/ksmbd-share" "$user" "$pass" 4450 "$out/ksmbd.log" > "$out/start-ksmbd.txt" 2>&1; then
    record_error ksmbd "$(cat "$out/start-ksmbd.txt")"
  else
    run_transfers ksmbd "$work/ksmbd-share"
  fi
  sd_stop_ksmbd > /dev/null
}

started=$SECONDS
uname -r > "$out/kernel-release"
progress "ib_write_bw ceiling (1 MiB x 100)"
PERFTEST_SIZE=1048576 PERFTEST_ITERS=100 perftest_ceiling ib_write_bw 18515 "$out" > "$out/perftest.txt" 2>&1
progress "$(grep -E '^perftest: ' "$out/perftest.txt" | tail -1)"

progress "loading cifs.ko with SMB Direct"
if ! sd_load_cifs > "$out/load-cifs.txt" 2>&1; then
  for s in ksmbd spliced spliced-copy; do record_error "$s" "cifs.ko with SMB Direct did not load: $(tail -n 3 "$out/load-cifs.txt")"; done
  exit 1
fi
head -c "$((mib * 1048576))" /dev/urandom > "$work/src.bin"
src_md5=$(md5sum < "$work/src.bin" | cut -c1-32)
cp "$repo/$CIFS_USERS_FILE" "$work/users"

[[ $servers == *" ksmbd "* ]] && bench_ksmbd
[[ $servers == *" spliced "* ]] && bench_spliced spliced ''
[[ $servers == *" spliced-copy "* ]] && bench_spliced spliced-copy '  rdma zero copy = no'
dmesg > "$out/dmesg.txt"
progress "done in $((SECONDS - started)) s"
