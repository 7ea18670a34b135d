#!/usr/bin/python3
"""fcntl byte-range locks on a file, for the kernel cifs lock checks (locks.sh, in the VM).

  hold FILE START LEN READY RELEASE  take a write lock (F_SETLK), create READY, wait for RELEASE, unlock
  holdread FILE START LEN READY RELEASE  the same with a read lock (F_RDLCK: an SMB2 shared lock)
  try FILE START LEN                 F_SETLK a write lock: exit 0 when granted (then unlock), 3 when refused
  wait FILE START LEN                F_SETLKW a write lock: print 'granted' once it is, then unlock
"""
import errno
import fcntl
import os
import sys
import time


def main() -> int:
    op, path, start, length = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    fd = os.open(path, os.O_RDWR)
    if op in ('hold', 'holdread'):
        fcntl.lockf(fd, (fcntl.LOCK_EX if op == 'hold' else fcntl.LOCK_SH) | fcntl.LOCK_NB, length, start)
        open(sys.argv[5], 'w').close()
        deadline = time.monotonic() + 300
        while not os.path.exists(sys.argv[6]) and time.monotonic() < deadline:
            time.sleep(0.1)
        fcntl.lockf(fd, fcntl.LOCK_UN, length, start)
        print('released', flush=True)
        return 0
    if op == 'try':
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EACCES):
                print(f'refused: {errno.errorcode[e.errno]}', flush=True)
                return 3
            raise
        print('granted', flush=True)
        fcntl.lockf(fd, fcntl.LOCK_UN, length, start)
        return 0
    if op == 'wait':
        began = time.monotonic()
        print('waiting', flush=True)
        fcntl.lockf(fd, fcntl.LOCK_EX, length, start)
        print(f'granted after {time.monotonic() - began:.1f} s', flush=True)
        fcntl.lockf(fd, fcntl.LOCK_UN, length, start)
        return 0
    print(f'unknown operation {op}', file=sys.stderr)
    return 2


sys.exit(main())
