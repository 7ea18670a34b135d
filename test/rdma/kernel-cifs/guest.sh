#!/bin/bash
# Runs inside the VM (test/vm/run-in-vm.sh, from the repo root): starts spliced on
# 10.77.0.1:445 and drives it with the guest kernel's cifs client over TCP; then swaps in the
# cifs.ko rebuilt with SMB Direct and mounts with -o rdma: ksmbd (the anchor, rebuilt with SMB
# Direct too), then spliced with `rdma port = 5445`, as root (vers=3.0, 3.1.1) and as nobody
# (vers=3.1.1) (smb-direct.sh). Each check's
# output goes to $VM_OUT/cifs/NN.log and one line "ok|fail<TAB>name<TAB>NN.log" to
# $VM_OUT/cifs/results.tsv; dmesg.txt, debug-data.txt and spliced.log sit next to them.
# SMB_MODULES_DIR, KSMBD_TOOLS_DIR: the SMB Direct kit (test/support/smb-direct-kit.ts).
# SPLICED_CLI: compiled cli/main.js to run (relative to the repo); unset: cli/main.ts via tsx.
# CIFS_USER, CIFS_PASSWORD: the account; CIFS_USERS_FILE: a users file already holding it.
set -u
out=${VM_OUT:?run me through test/vm/run-in-vm.sh}/cifs
repo=$PWD
mkdir -p "$out"
: > "$out/results.tsv"
work=/run/cifs-test
srv=10.77.0.1
user=${CIFS_USER:-cifsuser}
pass=${CIFS_PASSWORD:-Spliced-Pass1}
mnt=$work/mnt
back=$work/shares/rw
checks=0
source "$repo/test/rdma/kernel-cifs/smb-direct.sh"
source "$repo/test/rdma/kernel-cifs/lease-cache.sh"
if [ -n "${SPLICED_CLI:-}" ]; then spliced=(node "$repo/$SPLICED_CLI"); else spliced=(node --import tsx "$repo/cli/main.ts"); fi

# check <name> <function> [args...]: runs the function with -e and pipefail in a subshell.
# Call it as a plain statement: bash ignores -e inside anything run from an if, && or || list.
check() {
  local name=$1 log rc
  shift
  checks=$((checks + 1))
  log=$(printf '%02d.log' "$checks")
  echo "=== $name"
  (set -eo pipefail; PS4='+ ${EPOCHREALTIME} '; set -x; "$@") > "$out/$log" 2>&1
  rc=$?
  if [ $rc = 0 ]; then
    printf 'ok\t%s\t%s\n' "$name" "$log" >> "$out/results.tsv"
  else
    printf 'fail\t%s\t%s\n' "$name" "$log" >> "$out/results.tsv"
    echo "--- failed (exit $rc):"
    tail -n 30 "$out/$log"
  fi
  return $rc
}

expect_eq() { # what, actual, expected
  [ "$2" = "$3" ] || { echo "$1: got '$2', expected '$3'"; return 1; }
}

mount_share() { # share, mount point, extra -o options
  mkdir -p "$2"
  mount -t cifs "//$srv/$1" "$2" -o "$3"
  grep -E " $2 cifs " /proc/mounts
}

load_cifs() {
  modprobe cifs
  lsmod | grep -E '^(cifs|cifs_arc4|cifs_md4|nls_utf8|dns_resolver|netfs|fscache) ' || true
  for m in cifs cifs_arc4 cifs_md4; do grep -q "^$m " /proc/modules || { echo "$m not loaded"; return 1; }; done
  modprobe nls_utf8
  grep -q '^nls_utf8 ' /proc/modules
}

# The users file comes from `spliced user add`: on the host when CIFS_USERS_FILE names its
# result (node starts slowly in the emulated guest), else here.
start_spliced() {
  mkdir -p "$work/shares/rw" "$work/shares/ro" "$work/shares/pub" "$mnt"
  mount -t tmpfs -o size=64m tmpfs "$work/shares/rw"
  head -c 300000 /dev/urandom > "$back/seed.bin"
  touch -d '2021-03-04 05:06:07' "$back/seed.bin"
  echo 'read-only share content' > "$work/shares/ro/readme.txt"
  cat > "$work/spliced.conf" <<EOF
[global]
  tcp port = 445
  users file = $work/users
  map to guest = bad user
  metrics address = 127.0.0.1:9445
  log level = debug
  user = root
  interfaces = "$srv;capability=RDMA,speed=10000000000"
[share]
  path = $back
  read only = no
[ro]
  path = $work/shares/ro
  read only = yes
[pub]
  path = $work/shares/pub
  read only = no
  guest ok = yes
EOF
  if [ -n "${CIFS_USERS_FILE:-}" ]; then
    cp "$repo/$CIFS_USERS_FILE" "$work/users"
  else
    "${spliced[@]}" user add "$user" --users-file "$work/users" --password "$pass"
  fi
  grep -q "^$user:" "$work/users"
  "${spliced[@]}" serve --config "$work/spliced.conf" > "$out/spliced.log" 2>&1 &
  echo $! > "$work/spliced.pid"
}

spliced_listens() {
  for _ in $(seq 1 300); do
    (exec 3<> "/dev/tcp/$srv/445") 2> /dev/null && return 0
    kill -0 "$(cat "$work/spliced.pid")" || { cat "$out/spliced.log"; return 1; }
    sleep 0.2
  done
  echo 'spliced did not listen on port 445 within 60 s'
  cat "$out/spliced.log"
  return 1
}

# The kernel's RDMA path needs unsigned sessions: the server must not require signing
# (NEGOTIATE SecurityMode bit 0x2, DebugData's SecMode) and spliced must not sign this one.
unsigned_session() { # dialect as DebugData prints it, e.g. 0x311
  local sec_mode
  tee "$out/debug-data-$1.txt" < /proc/fs/cifs/DebugData
  grep -q "Dialect $1" "$out/debug-data-$1.txt"
  grep -q 'Security type: RawNTLMSSP' "$out/debug-data-$1.txt"
  sec_mode=$(grep -oE 'SecMode: 0x[0-9a-f]+' "$out/debug-data-$1.txt" | head -1 | cut -d' ' -f2)
  if [ -z "$sec_mode" ] || (( sec_mode & 2 )); then echo "the server requires signing (SecMode $sec_mode)"; return 1; fi
  if grep -qi 'signed' "$out/debug-data-$1.txt"; then echo 'the session is signed'; return 1; fi
  grep '"session established"' "$out/spliced.log" | tail -1 | tee "$work/session.json"
  grep -q '"signing":false' "$work/session.json"
}

list_seeded() {
  ls -la "$mnt"
  ls -la "$mnt" | grep -q ' seed.bin$'
}

stat_matches() {
  stat -c '%n %s %Y' "$back/seed.bin" "$mnt/seed.bin"
  expect_eq size "$(stat -c %s "$mnt/seed.bin")" "$(stat -c %s "$back/seed.bin")"
  expect_eq mtime "$(stat -c %Y "$mnt/seed.bin")" "$(stat -c %Y "$back/seed.bin")"
  expect_eq 'seed content' "$(sha256sum < "$mnt/seed.bin")" "$(sha256sum < "$back/seed.bin")"
}

set_mtime() {
  echo stamp > "$mnt/stamped.txt"
  touch -d '2019-08-07 06:05:04' "$mnt/stamped.txt"
  expect_eq 'server mtime' "$(stat -c %Y "$back/stamped.txt")" "$(date -d '2019-08-07 06:05:04' +%s)"
  echo 3 > /proc/sys/vm/drop_caches
  sleep 1.1 # past actimeo=1
  expect_eq 'mount mtime' "$(stat -c %Y "$mnt/stamped.txt")" "$(date -d '2019-08-07 06:05:04' +%s)"
  rm "$mnt/stamped.txt"
}

# FSCTL_QUERY_NETWORK_INTERFACE_INFO as the kernel parsed it: the SMB Direct multichannel input.
interface_list() {
  sed -n '/Server interfaces:/,/Shares:/p' "$out/debug-data-0x311.txt" | tee "$work/ifaces.txt"
  grep -q 'Server interfaces: 1' "$work/ifaces.txt"
  grep -q 'Speed: 10000000000 bps' "$work/ifaces.txt"
  grep -qi 'rdma' "$work/ifaces.txt"
  grep -q 'IPv4: 10.77.0.1' "$work/ifaces.txt"
}

write_read_back() { # file name, MiB
  head -c "$(($2 * 1048576))" /dev/urandom > "$work/$1.src"
  dd if="$work/$1.src" of="$mnt/$1" bs=1M conv=fsync status=none
  local want
  want=$(sha256sum < "$work/$1.src")
  expect_eq 'server-side copy' "$(sha256sum < "$back/$1")" "$want"
  echo 3 > /proc/sys/vm/drop_caches
  expect_eq 'read back through the mount' "$(dd if="$mnt/$1" bs=1M status=none | sha256sum)" "$want"
}

copy_in_and_out() {
  cp "$repo/package.json" "$mnt/copied.json"
  cp "$mnt/copied.json" "$work/copied-back.json"
  cmp "$repo/package.json" "$back/copied.json"
  cmp "$repo/package.json" "$work/copied-back.json"
}

mkdir_rmdir() {
  mkdir "$mnt/newdir"
  [ -d "$back/newdir" ]
  mkdir -p "$mnt/newdir/a/b"
  [ -d "$back/newdir/a/b" ]
  rmdir "$mnt/newdir/a/b" "$mnt/newdir/a"
  rmdir "$mnt/newdir"
  [ ! -e "$back/newdir" ]
  if rmdir "$mnt" 2> /dev/null; then echo 'rmdir of the mount root succeeded'; return 1; fi
  mkdir "$mnt/full"
  echo x > "$mnt/full/f"
  if rmdir "$mnt/full" 2> "$work/rmdir.err"; then echo 'rmdir of a non-empty directory succeeded'; return 1; fi
  cat "$work/rmdir.err"
  grep -q 'not empty' "$work/rmdir.err"
  rm "$mnt/full/f"
  rmdir "$mnt/full"
}

rename_files() {
  echo 'renamed content' > "$mnt/before.txt"
  mv "$mnt/before.txt" "$mnt/after.txt"
  [ ! -e "$back/before.txt" ]
  [ ! -e "$mnt/before.txt" ]
  expect_eq content "$(cat "$back/after.txt")" 'renamed content'
  mkdir "$mnt/sub"
  mv "$mnt/after.txt" "$mnt/sub/moved.txt"
  expect_eq 'moved content' "$(cat "$mnt/sub/moved.txt")" 'renamed content'
  echo 'other' > "$mnt/target.txt"
  mv -f "$mnt/sub/moved.txt" "$mnt/target.txt"
  expect_eq 'replaced content' "$(cat "$back/target.txt")" 'renamed content'
  mv "$mnt/sub" "$mnt/sub2"
  [ -d "$back/sub2" ]
  rmdir "$mnt/sub2"
  rm "$mnt/target.txt"
}

remove_file() {
  echo gone > "$mnt/gone.txt"
  rm "$mnt/gone.txt"
  [ ! -e "$back/gone.txt" ]
  [ ! -e "$mnt/gone.txt" ]
  if rm "$mnt/gone.txt" 2> /dev/null; then echo 'removing a missing file succeeded'; return 1; fi
}

# Delete-on-close waits for the last open: the kernel stats the name while reading via the fd.
remove_open_file() {
  echo 'held open' > "$mnt/held.txt"
  exec 3< "$mnt/held.txt"
  rm "$mnt/held.txt"
  expect_eq 'read through the open descriptor' "$(cat <&3)" 'held open'
  exec 3<&-
  [ ! -e "$back/held.txt" ]
  [ ! -e "$mnt/held.txt" ]
}

truncate_file() {
  head -c 5000 /dev/urandom > "$mnt/trunc.bin"
  truncate -s 1000000 "$mnt/trunc.bin"
  expect_eq 'grown size (mount)' "$(stat -c %s "$mnt/trunc.bin")" 1000000
  expect_eq 'grown size (server)' "$(stat -c %s "$back/trunc.bin")" 1000000
  truncate -s 1234 "$mnt/trunc.bin"
  expect_eq 'shrunk size (server)' "$(stat -c %s "$back/trunc.bin")" 1234
  echo 3 > /proc/sys/vm/drop_caches
  expect_eq 'shrunk size (mount)' "$(stat -c %s "$mnt/trunc.bin")" 1234
  truncate -s 0 "$mnt/trunc.bin"
  expect_eq 'empty size (server)' "$(stat -c %s "$back/trunc.bin")" 0
  rm "$mnt/trunc.bin"
}

append_file() {
  printf 'line 1\n' > "$mnt/append.txt"
  printf 'line 2\n' >> "$mnt/append.txt"
  printf 'line 3\n' >> "$mnt/append.txt"
  expect_eq 'server content' "$(cat "$back/append.txt")" "$(printf 'line 1\nline 2\nline 3')"
  echo 3 > /proc/sys/vm/drop_caches
  expect_eq 'mount content' "$(cat "$mnt/append.txt")" "$(printf 'line 1\nline 2\nline 3')"
}

# chmod a-w sends FILE_ATTRIBUTE_READONLY; spliced keeps it in the mode bits and refuses
# opens for writing (the guest runs as root, so only the server can refuse).
chmod_readonly() {
  printf 'keep\n' > "$mnt/ro-attr.txt"
  chmod a-w "$mnt/ro-attr.txt"
  expect_eq 'server write bits' "$(( 0$(stat -c '%a' "$back/ro-attr.txt") & 0222 ))" 0
  echo 3 > /proc/sys/vm/drop_caches
  if printf 'clobber\n' >> "$mnt/ro-attr.txt"; then echo 'appending to a read-only file succeeded'; return 1; fi
  expect_eq 'content kept' "$(cat "$back/ro-attr.txt")" 'keep'
  # Under the lease of its deferred-close handle the client keeps the DOS attributes it had
  # before chmod a-w (cifs.ko does not record its own SET_INFO, and drop_caches cannot evict the
  # inode that handle holds), so it would skip chmod u+w as a no-op. Wait for the deferred close
  # (closetimeo=1), which ends the lease and stamps the attributes fresh, then for actimeo=1,
  # so that chmod's stat asks the server again.
  sleep 2.5
  chmod u+w "$mnt/ro-attr.txt"
  printf 'more\n' >> "$mnt/ro-attr.txt"
  expect_eq 'writable again' "$(cat "$back/ro-attr.txt")" "$(printf 'keep\nmore')"
  rm "$mnt/ro-attr.txt"
}

# Long names so the 200 entries need more than one 64 KiB QUERY_DIRECTORY response.
list_many() {
  local pad i
  pad=$(printf 'x%.0s' $(seq 1 140))
  mkdir "$back/many"
  for i in $(seq -w 1 200); do : > "$back/many/entry-$i-$pad"; done
  ls -1 "$mnt/many" > "$work/many.txt"
  expect_eq 'entries listed' "$(wc -l < "$work/many.txt")" 200
  expect_eq 'names' "$(sort "$work/many.txt" | sha256sum)" "$(ls -1 "$back/many" | sort | sha256sum)"
}

fs_info() {
  df -k "$mnt"
  stat -f -c 'blocks=%b bsize=%S free=%f' "$mnt" "$back"
  local remote local_
  remote=$(stat -f -c '%b*%S' "$mnt")
  local_=$(stat -f -c '%b*%S' "$back")
  expect_eq 'total bytes' "$((remote))" "$((local_))"
}

read_only_share() {
  mount_share ro "$work/ro" "username=$user,password=$pass,vers=3.1.1"
  expect_eq 'read' "$(cat "$work/ro/readme.txt")" 'read-only share content'
  if touch "$work/ro/new.txt" 2> "$work/ro.err"; then echo 'creating a file succeeded'; return 1; fi
  cat "$work/ro.err"
  grep -Eq 'Permission denied|Read-only file system' "$work/ro.err"
  if echo x >> "$work/ro/readme.txt" 2> "$work/ro.err"; then echo 'appending succeeded'; return 1; fi
  cat "$work/ro.err"
  grep -Eq 'Permission denied|Read-only file system' "$work/ro.err"
  [ ! -e "$work/shares/ro/new.txt" ]
  umount "$work/ro"
}

unmount_clean() { # mount point
  umount "$1"
  if grep -E " $1 cifs " /proc/mounts; then echo 'still mounted'; return 1; fi
}

other_dialect() { # vers, dialect as DebugData prints it
  mount_share share "$mnt" "username=$user,password=$pass,vers=$1"
  unsigned_session "$2"
  stat_matches
  write_read_back "v$1.bin" 1
  ls "$mnt" | grep -q "^v$1.bin$"
  rm "$mnt/v$1.bin"
  unmount_clean "$mnt"
}

# The counter-check for unsigned_session: DebugData does say "signed" when the client signs.
signed_when_asked() {
  mount_share share "$mnt" "username=$user,password=$pass,vers=3.1.1,sign"
  grep 'SessionId' /proc/fs/cifs/DebugData | tee "$work/signed.txt"
  grep -q 'signed' "$work/signed.txt"
  ls "$mnt" | grep -q '^seed.bin$'
  unmount_clean "$mnt"
}

guest_mount() {
  echo 'public' > "$work/shares/pub/hello.txt"
  mount_share pub "$work/pub" 'guest,sec=ntlmssp,vers=3.1.1'
  expect_eq 'read' "$(cat "$work/pub/hello.txt")" public
  echo written > "$work/pub/by-guest.txt"
  expect_eq 'server copy' "$(cat "$work/shares/pub/by-guest.txt")" written
  unmount_clean "$work/pub"
}

spliced_alive() {
  kill -0 "$(cat "$work/spliced.pid")"
  if grep -E '"level":(50|60)' "$out/spliced.log"; then echo 'spliced logged errors'; return 1; fi
}

# KERNEL_CIFS_ONLY=rdma skips the TCP checks (to iterate on the SMB Direct ones by hand).
if [ "${KERNEL_CIFS_ONLY:-}" = rdma ]; then
  mkdir -p "$mnt" && cp "$repo/$CIFS_USERS_FILE" "$work/users"
else
  started=$SECONDS
  check 'spliced serve starts with a share, a read-only share, a guest share and a password user' start_spliced
  serving=$?
  check 'modprobe cifs loads cifs_arc4, cifs_md4 and nls_utf8' load_cifs
  modules=$?
  listening=1
  if [ $serving = 0 ] && [ $modules = 0 ]; then
    check 'spliced listens on 10.77.0.1:445' spliced_listens
    listening=$?
  fi
  mounted=1
  if [ $listening = 0 ]; then
    check 'vers=3.1.1: mount with username and password' mount_share share "$mnt" "username=$user,password=$pass,vers=3.1.1"
    mounted=$?
  fi
  if [ $mounted = 0 ]; then
    check 'vers=3.1.1: DebugData shows an unsigned 3.1.1 session' unsigned_session 0x311
    check 'DebugData lists the configured RDMA-capable interface' interface_list
    check 'ls -la lists the share' list_seeded
    check 'stat: size, mtime and content match the server file' stat_matches
    check 'touch -d sets the mtime on the server' set_mtime
    check 'dd 4 MiB of random data, sha256 matches after reading back' write_read_back big.bin 4
    check 'cp from the host view into the mount and back' copy_in_and_out
    check 'mkdir and rmdir (nested, non-empty refused)' mkdir_rmdir
    check 'mv renames, moves and replaces' rename_files
    check 'rm' remove_file
    check 'rm of a file another descriptor holds open: it still reads, then the file is gone' remove_open_file
    check 'truncate -s grows and shrinks' truncate_file
    check 'appending with >>' append_file
    check 'chmod a-w makes the file read-only on the server; chmod u+w undoes it' chmod_readonly
    check 'a directory of 200 long names lists completely' list_many
    check 'df and statfs report the share size' fs_info
    check 'a lease lets the client read a file twice with one set of READs; a write by another client breaks it' lease_caches_reads "$mnt" "$back" 9445
    check 'vers=3.1.1: unmounts cleanly' unmount_clean "$mnt"
  fi
  if [ $listening = 0 ]; then
    check 'a read-only share refuses writes' read_only_share
    check 'vers=3.0: mount, stat, 1 MiB round trip, unmount' other_dialect 3.0 0x300
    check 'vers=2.1: mount, stat, 1 MiB round trip, unmount' other_dialect 2.1 0x210
    check 'vers=3.1.1,sign: the session is signed when the client asks' signed_when_asked
    check 'guest mount (sec=ntlmssp) of a guest ok share' guest_mount
    check 'spliced is still running and logged no errors' spliced_alive
  fi
  echo "kernel cifs checks over TCP took $((SECONDS - started)) s"
  cat /proc/fs/cifs/DebugData > "$out/debug-data.txt" 2>&1
  grep -q ' cifs ' /proc/mounts && umount -a -t cifs
  sd_stop_spliced "$work/spliced.pid"
fi

# --- SMB Direct: the kernel client over RDMA (rxe) -------------------------------------------
rdma_user=$user rdma_pass=$pass
MiB=1048576
rdma_mib=4
ksmbd_back=$work/shares/ksmbd
rdma_back=$work/shares/rdma
rdma_metrics=9446

# The anchor: the kernel's own server and client agree on SMB Direct in this VM.
ksmbd_anchor() {
  mkdir -p "$ksmbd_back" && mount -t tmpfs -o size=64m tmpfs "$ksmbd_back"
  sd_start_ksmbd "$ksmbd_back" "$rdma_user" "$rdma_pass" 4450 "$out/ksmbd.log"
  sd_mount_rdma share "$mnt" "username=$rdma_user,password=$rdma_pass,vers=3.0"
  sd_debugdata_shows_smbdirect "$out/debug-data-ksmbd.txt"
  sd_round_trip "$mnt" "$ksmbd_back" ksmbd.bin "$rdma_mib" "$work"
  sd_unmount "$mnt"
}

# spliced serving SMB Direct as root, or as nobody (unprivileged: what it needs from root, memory
# registration and the rdma_cm device, it must set up so that it keeps working after the switch).
start_spliced_rdma() { # run-as user
  grep -q " $rdma_back " /proc/mounts && umount "$rdma_back"
  mkdir -p "$rdma_back" && mount -t tmpfs -o size=64m tmpfs "$rdma_back"
  chown "$1" "$rdma_back"
  sd_write_spliced_conf "$work/rdma-$1.conf" "$rdma_back" "$work/users" "$rdma_metrics" "$1" ''
  sd_start_spliced "$work/rdma-$1.conf" "$out/spliced-rdma-$1.log" "$work/spliced-rdma.pid" "${spliced[@]}"
}

# Mount with -o rdma, unsigned; dd in and out; spliced's RDMA counters must have grown by at
# least the bytes moved: RDMA WRITE (op="write") carries the reads, RDMA READ (op="read") the writes.
# dd writes 1 MiB aligned, so the RDMA READs must have placed WRITE data straight into cache pages.
placed_series='spliced_write_placed_bytes_total{transport="rdma",placement="cache_page"}'
rdma_dialect() { # vers, dialect as DebugData prints it, spliced's run-as user
  local writes0 reads0 placed0 writes reads placed
  writes0=$(sd_metric "$rdma_metrics" 'spliced_rdma_bytes_total{op="write"}')
  reads0=$(sd_metric "$rdma_metrics" 'spliced_rdma_bytes_total{op="read"}')
  placed0=$(sd_metric "$rdma_metrics" "$placed_series")
  sd_mount_rdma share "$mnt" "username=$rdma_user,password=$rdma_pass,vers=$1"
  sd_debugdata_shows_smbdirect "$out/debug-data-rdma-$3-$1.txt"
  grep -q "Dialect $2" "$out/debug-data-rdma-$3-$1.txt"
  sd_unsigned "$out/debug-data-rdma-$3-$1.txt"
  grep '"session established"' "$out/spliced-rdma-$3.log" | tail -1 | tee "$work/session.json"
  grep -q '"signing":false' "$work/session.json"
  sd_round_trip "$mnt" "$rdma_back" "rdma-$1.bin" "$rdma_mib" "$work"
  writes=$(($(sd_metric "$rdma_metrics" 'spliced_rdma_bytes_total{op="write"}') - writes0))
  reads=$(($(sd_metric "$rdma_metrics" 'spliced_rdma_bytes_total{op="read"}') - reads0))
  echo "spliced_rdma_bytes_total grew by write=$writes read=$reads for $rdma_mib MiB each way"
  ((writes >= rdma_mib * MiB)) || { echo "RDMA WRITE bytes grew by $writes for a $rdma_mib MiB read"; return 1; }
  ((reads >= rdma_mib * MiB)) || { echo "RDMA READ bytes grew by $reads for a $rdma_mib MiB write"; return 1; }
  placed=$(($(sd_metric "$rdma_metrics" "$placed_series") - placed0))
  echo "$placed_series grew by $placed"
  ((placed > 0)) || { echo "no WRITE byte was placed in a cache page by RDMA READ"; return 1; }
  sd_unmount "$mnt"
}

# Every RDMA unmount logs "failed to drain recv queue: -12" and a WARNING from __ib_drain_rq
# (smbd_destroy drains a QP rxe has already flushed): harmless, and the only warning allowed.
no_kernel_oops() {
  dmesg > "$work/dmesg-rdma.txt"
  if grep -E 'BUG:|Oops:|general protection fault|Unable to handle|Kernel panic' "$work/dmesg-rdma.txt"; then
    grep -E 'RIP:' "$work/dmesg-rdma.txt" | head -3
    return 1
  fi
  if grep -E 'WARNING:' "$work/dmesg-rdma.txt" | grep -v ' __ib_drain_rq+'; then return 1; fi
}

spliced_rdma_alive() { # run-as user
  kill -0 "$(cat "$work/spliced-rdma.pid")"
  if grep -E '"level":(50|60)' "$out/spliced-rdma-$1.log"; then echo 'spliced logged errors'; return 1; fi
}

started=$SECONDS
check 'SMB Direct: the rebuilt cifs.ko (CONFIG_CIFS_SMB_DIRECT) replaces the stock one' sd_load_cifs
if [ $? = 0 ]; then
  check 'SMB Direct anchor: ksmbd over RDMA, mount -o rdma,vers=3.0, dd 4 MiB in and out, md5 equal, DebugData shows SMBDirect' ksmbd_anchor
  grep -q ' cifs ' /proc/mounts && sd_bounded umount -a -t cifs
  sd_stop_ksmbd
  # vers=3.0 and 3.1.1 against spliced running as root, 3.1.1 against spliced running as nobody.
  for run_as in root nobody; do
    check "SMB Direct: spliced (as $run_as) listens on rdma port 5445" start_spliced_rdma $run_as
    if [ $? = 0 ]; then
      if [ $run_as = root ]; then dialects='3.0:0x300 3.1.1:0x311'; else dialects='3.1.1:0x311'; fi
      for d in $dialects; do
        check "SMB Direct: spliced (as $run_as), mount -o rdma,vers=${d%:*}, unsigned, dd 4 MiB in and out, md5 equal, RDMA WRITE/READ bytes counted, WRITE data placed in cache pages" rdma_dialect "${d%:*}" "${d#*:}" $run_as
      done
      if [ $run_as = root ]; then
        check 'SMB Direct: a lease lets the RDMA client read a file twice with one set of READs; a write over TCP breaks it over RDMA' rdma_lease_caches_reads "$rdma_metrics"
      fi
      check "SMB Direct: spliced (as $run_as) is still running and logged no errors" spliced_rdma_alive $run_as
    fi
    grep -q ' cifs ' /proc/mounts && sd_bounded umount -a -t cifs
    sd_stop_spliced "$work/spliced-rdma.pid"
  done
  grep -q ' cifs ' /proc/mounts && sd_bounded umount -a -t cifs
  check 'SMB Direct: the kernel logged no oops (RDMA unmounts included)' no_kernel_oops
fi
echo "kernel cifs checks over SMB Direct took $((SECONDS - started)) s"
sd_stop_spliced "$work/spliced-rdma.pid"
dmesg > "$out/dmesg.txt"
! grep -q '^fail' "$out/results.tsv"
