#!/bin/bash
# Runs inside the VM (test/vm/run-in-vm.sh, from the repo root): the guest tests with the
# regular addon, the same tests with the AddressSanitizer addon, then perftest's
# ib_write_bw and ib_read_bw as the throughput ceiling. Results go to $VM_OUT:
#   results-main.jsonl, results-asan.jsonl (one JSON line per test), asan.* (ASan reports),
#   exit-main, exit-asan, perftest-write.txt, perftest-read.txt
set -u
out=${VM_OUT:?run me through test/vm/run-in-vm.sh}
guest=test/rdma/guest

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

perftest() { # tool, port
  local tool=$1 port=$2 server attempt
  echo "=== $tool"
  "$tool" -R -d rxe0 -s 65536 -n 500 -F -p "$port" > "$out/$tool-server.txt" 2>&1 &
  server=$!
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    sleep 0.5
    "$tool" -R -d rxe0 -s 65536 -n 500 -F -p "$port" 10.77.0.1 > "$out/$tool.txt" 2>&1 && break
  done
  wait "$server"
  cat "$out/$tool.txt"
}

run_suite main
if [ -n "${SPLICED_ASAN_ADDON:-}" ]; then
  run_suite asan GUEST_ASAN=1 GUEST_CYCLES=150 SPLICED_RDMA_ADDON="$SPLICED_ASAN_ADDON" LD_PRELOAD="$(gcc -print-file-name=libasan.so)" \
    ASAN_OPTIONS="detect_leaks=0:log_path=$out/asan:abort_on_error=1"
fi
perftest ib_write_bw 18515
perftest ib_read_bw 18516
