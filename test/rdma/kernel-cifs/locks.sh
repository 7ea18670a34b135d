# Byte-range locks through the kernel cifs client (sourced by guest.sh; uses its check, expect_eq,
# mount_share, $srv, $user, $pass, $work, $back). Two mounts of the share, each on its own TCP
# connection and session (nosharesock), so the guest kernel cannot settle a conflict locally: only
# spliced sees both. cifs sends an fcntl lock (F_SETLK, F_SETLKW) as an SMB2 LOCK of that range,
# F_SETLKW without FAIL_IMMEDIATELY (it goes pending on the server), and flock() as a lock of the
# whole file; a refused lock reaches the application as EACCES. cache=none: every read and write
# through a mount is a READ or WRITE on the server.
lock_a=$work/lock-a
lock_b=$work/lock-b
byte_lock=(/usr/bin/python3 "$repo/test/rdma/kernel-cifs/byte-lock.py")

lock_mounts() {
  mount_share share "$lock_a" "username=$user,password=$pass,vers=3.1.1,nosharesock,cache=none"
  mount_share share "$lock_b" "username=$user,password=$pass,vers=3.1.1,nosharesock,cache=none"
  head -c 4096 /dev/urandom > "$back/locked.bin"
  cp "$back/locked.bin" "$work/locked.orig"
}

wait_for_file() { # path, seconds
  local i
  for i in $(seq 1 $(($2 * 5))); do [ -e "$1" ] && return 0; sleep 0.2; done
  echo "$1 did not appear within $2 s"
  return 1
}

# A process on mount A holds a write lock (or with `holdread` a read lock) on bytes 100..199
# until $work/release appears.
hold_range() { # [hold|holdread]
  rm -f "$work/held" "$work/release"
  "${byte_lock[@]}" "${1:-hold}" "$lock_a/locked.bin" 100 100 "$work/held" "$work/release" > "$work/holder.log" 2>&1 &
  echo $! > "$work/holder.pid"
  wait_for_file "$work/held" 60 || { cat "$work/holder.log"; return 1; }
}

release_range() {
  touch "$work/release"
  wait "$(cat "$work/holder.pid")"
  cat "$work/holder.log"
}

fcntl_conflicts() {
  hold_range
  local rc=0
  "${byte_lock[@]}" try "$lock_b/locked.bin" 150 10 || rc=$?
  expect_eq 'F_SETLK of bytes inside the held range, from mount B (3 = refused)' "$rc" 3
  "${byte_lock[@]}" try "$lock_b/locked.bin" 300 10
  # The server refuses I/O of another open inside an exclusive range: cifs gets FILE_LOCK_CONFLICT.
  if dd if="$lock_b/locked.bin" of=/dev/null bs=50 skip=2 count=1 2> "$work/read.err"; then echo 'READ inside the locked range succeeded'; return 1; fi
  cat "$work/read.err"
  if printf 'X' | dd of="$lock_b/locked.bin" bs=1 seek=120 conv=notrunc 2> "$work/write.err"; then echo 'WRITE inside the locked range succeeded'; return 1; fi
  cat "$work/write.err"
  cmp "$back/locked.bin" "$work/locked.orig"
  expect_eq 'READ before the range' "$(dd if="$lock_b/locked.bin" bs=100 count=1 status=none | sha256sum)" "$(head -c 100 "$work/locked.orig" | sha256sum)"
  release_range
  "${byte_lock[@]}" try "$lock_b/locked.bin" 150 10
  printf 'X' | dd of="$lock_b/locked.bin" bs=1 seek=120 conv=notrunc status=none
  expect_eq 'byte written once unlocked' "$(dd if="$back/locked.bin" bs=1 skip=120 count=1 status=none)" X
}

# A read lock is an SMB2 shared lock: other opens read the range but neither write nor lock it.
fcntl_read_lock() {
  hold_range holdread
  local rc=0
  "${byte_lock[@]}" try "$lock_b/locked.bin" 150 10 || rc=$?
  expect_eq 'F_SETLK write lock inside the read-locked range, from mount B (3 = refused)' "$rc" 3
  expect_eq 'READ inside the range' "$(dd if="$lock_b/locked.bin" bs=50 skip=2 count=1 status=none | sha256sum)" "$(dd if="$back/locked.bin" bs=50 skip=2 count=1 status=none | sha256sum)"
  if printf 'Y' | dd of="$lock_b/locked.bin" bs=1 seek=130 conv=notrunc 2> "$work/write.err"; then echo 'WRITE inside the read-locked range succeeded'; return 1; fi
  cat "$work/write.err"
  release_range
  printf 'Y' | dd of="$lock_b/locked.bin" bs=1 seek=130 conv=notrunc status=none
  expect_eq 'byte written once unlocked' "$(dd if="$back/locked.bin" bs=1 skip=130 count=1 status=none)" Y
}

fcntl_waits() {
  hold_range
  timeout 120 "${byte_lock[@]}" wait "$lock_b/locked.bin" 150 10 > "$work/waiter.log" 2>&1 &
  local waiter=$!
  sleep 3
  kill -0 $waiter || { cat "$work/waiter.log"; echo 'F_SETLKW returned while the range was held'; return 1; }
  if grep -q granted "$work/waiter.log"; then echo 'granted while held'; return 1; fi
  release_range
  wait $waiter
  cat "$work/waiter.log"
  grep -q '^granted' "$work/waiter.log"
}

flock_conflicts() {
  rm -f "$work/held" "$work/release"
  : > "$back/flocked.bin"
  flock -x "$lock_a/flocked.bin" -c "touch $work/held; while [ ! -e $work/release ]; do sleep 0.1; done" &
  local holder=$! rc=0
  wait_for_file "$work/held" 60
  flock -n -x "$lock_b/flocked.bin" true 2> "$work/flock.err" || rc=$?
  cat "$work/flock.err"
  # cifs turns the server's LOCK_NOT_GRANTED into EACCES, not EWOULDBLOCK: flock(1) then says
  # "Permission denied" and exits 65 (EX_DATAERR) instead of 1.
  [ $rc = 1 ] || { [ $rc = 65 ] && grep -q 'Permission denied' "$work/flock.err"; } || { echo "flock -n -x on mount B: exit $rc, expected a refusal"; return 1; }
  touch "$work/release"
  wait $holder
  flock -n -x "$lock_b/flocked.bin" true
}

lock_checks() {
  check 'locks: two mounts of the share on their own connections (nosharesock, cache=none)' lock_mounts
  if [ $? = 0 ]; then
    check 'locks: an fcntl write lock on mount A refuses F_SETLK, READ and WRITE of that range on mount B, not outside it; unlocked, B gets it' fcntl_conflicts
    check 'locks: an fcntl read lock on mount A lets mount B read that range but not write or write-lock it' fcntl_read_lock
    check 'locks: F_SETLKW on mount B waits while mount A holds the range and is granted when A unlocks' fcntl_waits
    check 'locks: flock(LOCK_EX) on mount A makes flock(LOCK_EX|LOCK_NB) on mount B fail until A lets go' flock_conflicts
  fi
  umount "$lock_a" "$lock_b" 2> /dev/null || true
}
