#!/bin/bash
# The soft-RoCE throughput ceiling from perftest, robust to its clock calibration.
#
# perftest converts cycles to seconds with a CPU frequency it estimates by sampling and a linear
# fit. Under TCG emulation the fit sometimes fails ("Correlation coefficient r^2: 0.89 < 0.9"),
# and perftest then prints 0.00 MB/s although the transfer ran. So each tool runs up to
# PERFTEST_ATTEMPTS times until its result row has a non-zero average, and every run is also
# timed by the wall clock (connection set-up included, so a lower bound that needs no calibration).
# A client that fails or hangs (RDMA moving nothing) ends the measurement with its exit status.
#
# Usage (sourced): perftest_ceiling TOOL PORT OUT_DIR
# Writes OUT_DIR/TOOL.txt (the last client output), OUT_DIR/TOOL-attempt-N.txt and
# OUT_DIR/TOOL.json: {"tool","size","iterations","attempts","calibrationFailures","exit","peak","average","wallclockMBps","source"}
# source: "perftest" when a calibrated row was printed, "wallclock" when every attempt's
# calibration failed, "none" when the transfer itself failed.

PERFTEST_SIZE=${PERFTEST_SIZE:-65536}
PERFTEST_ITERS=${PERFTEST_ITERS:-500}
PERFTEST_ATTEMPTS=${PERFTEST_ATTEMPTS:-3}
PERFTEST_CLIENT_TIMEOUT=${PERFTEST_CLIENT_TIMEOUT:-90}

# The result row "bytes iterations peak average msg-rate" of a client's output, or nothing.
perftest_row() {
  awk -v size="$PERFTEST_SIZE" -v iters="$PERFTEST_ITERS" \
    '$1 == size && $2 == iters && NF >= 4 { print $3, $4; exit }' "$1"
}

# One server and one client run; prints "exit seconds" of the client (connect retries excluded).
perftest_once() {
  local tool=$1 port=$2 file=$3 server try status=1 start end
  "$tool" -R -d rxe0 -s "$PERFTEST_SIZE" -n "$PERFTEST_ITERS" -F -p "$port" > "$file.server" 2>&1 &
  server=$!
  for try in 1 2 3 4 5 6 7 8 9 10; do
    sleep "${PERFTEST_CONNECT_DELAY:-0.5}"
    start=$(date +%s%N)
    timeout -k 5 "$PERFTEST_CLIENT_TIMEOUT" "$tool" -R -d rxe0 -s "$PERFTEST_SIZE" -n "$PERFTEST_ITERS" -F -p "$port" 10.77.0.1 > "$file" 2>&1
    status=$?
    end=$(date +%s%N)
    # A client that never got to its result table found no server listening yet: try again.
    [ "$status" -ne 0 ] && ! grep -q '#bytes' "$file" && continue
    break
  done
  kill "$server" 2>/dev/null
  wait "$server" 2>/dev/null
  echo "$status" "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) / 1e9 }')"
}

perftest_ceiling() {
  local tool=$1 port=$2 out=$3 attempt result status seconds row peak=0 average=0 failures=0 wall=0 source=none
  local bytes=$((PERFTEST_SIZE * PERFTEST_ITERS))
  echo "=== $tool"
  for ((attempt = 1; attempt <= PERFTEST_ATTEMPTS; attempt++)); do
    result=$(perftest_once "$tool" "$port" "$out/$tool-attempt-$attempt.txt")
    status=${result% *}
    seconds=${result#* }
    cp "$out/$tool-attempt-$attempt.txt" "$out/$tool.txt"
    cat "$out/$tool.txt"
    if [ "$status" -ne 0 ]; then
      echo "perftest: $tool attempt $attempt: the client failed (exit $status); not measuring again"
      source=none
      break
    fi
    wall=$(awk -v b="$bytes" -v s="$seconds" 'BEGIN { printf "%.2f", (s > 0 ? b / 1048576 / s : 0) }')
    row=$(perftest_row "$out/$tool.txt")
    read -r peak average <<< "${row:-0 0}"
    if awk -v a="$average" 'BEGIN { exit !(a > 0) }'; then
      source=perftest
      echo "perftest: $tool attempt $attempt: average $average MB/s (wall clock incl. set-up: $wall MB/s)"
      break
    fi
    failures=$((failures + 1))
    source=wallclock
    echo "perftest: $tool attempt $attempt: clock calibration failed ($(grep -m1 -o 'Correlation coefficient.*' "$out/$tool.txt" || echo 'no result row')); wall clock: $wall MB/s"
  done
  printf '{"tool":"%s","size":%d,"iterations":%d,"attempts":%d,"calibrationFailures":%d,"exit":%d,"peak":%s,"average":%s,"wallclockMBps":%s,"source":"%s"}\n' \
    "$tool" "$PERFTEST_SIZE" "$PERFTEST_ITERS" "$((attempt > PERFTEST_ATTEMPTS ? PERFTEST_ATTEMPTS : attempt))" "$failures" "$status" "$peak" "$average" "$wall" "$source" > "$out/$tool.json"
}
