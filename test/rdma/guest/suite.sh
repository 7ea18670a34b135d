#!/bin/bash
# Runs inside the VM (test/vm/run-in-vm.sh, from the repo root): the guest tests with the
# regular addon, the same tests with the AddressSanitizer addon, then perftest's
# ib_write_bw and ib_read_bw as the throughput ceiling. Results go to $VM_OUT:
#   results-main.jsonl, results-asan.jsonl (one JSON line per test), asan.* (ASan reports),
#   kernel-release, exit-main, exit-asan, ib_write_bw.json, ib_read_bw.json (see perftest-ceiling.sh)
set -u
out=${VM_OUT:?run me through test/vm/run-in-vm.sh}
guest=test/rdma/guest
uname -r > "$out/kernel-release"

run_suite() { # label, then extra environment
  local label=$1
  shift
  echo "=== guest tests ($label)"
  timeout -k 5 "${GUEST_SUITE_TIMEOUT:-200}" env "$@" node --expose-gc --import tsx --test-force-exit \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter="./$guest/json-reporter.mjs" --test-reporter-destination="$out/results-$label.jsonl" \
    "$guest/all.ts"
  echo $? > "$out/exit-$label"
}

run_suite main
if [ -n "${SPLICED_ASAN_ADDON:-}" ]; then
  run_suite asan GUEST_ASAN=1 GUEST_CYCLES=150 SPLICED_RDMA_ADDON="$SPLICED_ASAN_ADDON" LD_PRELOAD="$(gcc -print-file-name=libasan.so)" \
    ASAN_OPTIONS="detect_leaks=0:log_path=$out/asan:abort_on_error=1"
fi
source "$guest/perftest-ceiling.sh"
perftest_ceiling ib_write_bw 18515 "$out"
perftest_ceiling ib_read_bw 18516 "$out"
