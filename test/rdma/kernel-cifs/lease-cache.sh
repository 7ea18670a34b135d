#!/bin/bash
# Sourced by guest.sh: the kernel client caches a file under a lease (issue 13, deliverable 7).
# Uses guest.sh's $work, $user, $pass, expect_eq, mount_share, unmount_clean and smb-direct.sh's
# sd_metric, sd_mount_rdma and sd_unmount.

lease_reads() { # metrics port: READ requests spliced has answered so far
  sd_metric "$1" 'spliced_request_duration_seconds_count{command="READ"}'
}

# With a read lease (cache=strict, the default) the client serves a second read of the file
# from its page cache: spliced sees no READ for it. A write through a second connection
# (nosharesock: its own ClientGuid, so its open breaks the first client's lease) makes the
# first client read the new content from the server again.
lease_caches_reads() { # mount point, server-side directory, spliced's metrics port
  local mnt=$1 back=$2 port=$3 r0 r1 r2 r3 want other=$work/mnt-other
  head -c 300000 /dev/urandom > "$back/leased.bin"
  want=$(sha256sum < "$back/leased.bin")
  echo 3 > /proc/sys/vm/drop_caches
  exec 3< "$mnt/leased.bin" # an open holds the lease between the reads
  r0=$(lease_reads "$port")
  expect_eq 'first read' "$(sha256sum < "$mnt/leased.bin")" "$want"
  r1=$(lease_reads "$port")
  expect_eq 'second read' "$(sha256sum < "$mnt/leased.bin")" "$want"
  r2=$(lease_reads "$port")
  echo "READs answered: first read $((r1 - r0)), second read $((r2 - r1))"
  ((r1 > r0)) || { echo 'the first read sent no READ (the counter does not count?)'; return 1; }
  expect_eq 'READs sent for the second read' "$((r2 - r1))" 0
  mount_share share "$other" "username=$user,password=$pass,vers=3.1.1,nosharesock"
  head -c 300000 /dev/urandom > "$work/leased.new"
  cp "$work/leased.new" "$other/leased.bin"
  want=$(sha256sum < "$work/leased.new")
  expect_eq 'server copy after the other client wrote' "$(sha256sum < "$back/leased.bin")" "$want"
  expect_eq 'first client reads the new content' "$(sha256sum < "$mnt/leased.bin")" "$want"
  r3=$(lease_reads "$port")
  ((r3 > r2)) || { echo 'the first client read the changed file from its cache'; return 1; }
  exec 3<&-
  unmount_clean "$other"
  rm "$mnt/leased.bin"
}

# The same with the first client over SMB Direct: the break reaches it over RDMA.
rdma_lease_caches_reads() { # spliced's metrics port
  sd_mount_rdma share "$mnt" "username=$rdma_user,password=$rdma_pass,vers=3.1.1"
  lease_caches_reads "$mnt" "$rdma_back" "$1"
  sd_unmount "$mnt"
}
