#!/usr/bin/env bash
# /v1/predict throughput and latency with wrk (Debian) against 127.0.0.1 only, for BENCHMARKS.md:
# concurrency 1, 8 and 32 with batching (--max-batch 8) and without (--max-batch 1), then the peak RSS of a
# fresh server over 2,000 requests for each malloc policy (MALLOC picks the policy of the first part).
# Usage: bench/serve-wrk.sh BIN MODEL_DIR KERNEL IMAGE [SECONDS] [N_TEST]
set -euo pipefail
BIN=$1 MODEL_DIR=$2 KERNEL=$3 IMAGE=$4 SECONDS_PER=${5:-20} NTEST=${6:-1}
PORT=${PORT:-8099}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
export BOUNDARY=----melanomaWrkBoundary BODY_FILE=$TMP/body
python3 - "$IMAGE" "$BODY_FILE" "$BOUNDARY" <<'PY'
import sys
img, out, b = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(img, "rb").read()
parts = [f'--{b}\r\nContent-Disposition: form-data; name="image"; filename="lesion.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode() + data + b"\r\n"]
for k, v in [("age", "55"), ("sex", "male"), ("site", "torso")]:
    parts.append(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
open(out, "wb").write(b"".join(parts) + f"--{b}--\r\n".encode())
PY
start() {
  "$BIN" serve --model-dir "$MODEL_DIR" --kernel-type "$KERNEL" --port "$PORT" --n-test "$NTEST" --max-batch "$1" \
    --timeout 120 --malloc "${MALLOC:-keep-all}" > "$TMP/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.2; done
  echo "server did not start"; cat "$TMP/serve.log"; exit 1
}
stop() { kill -TERM "$SERVER"; wait "$SERVER" || true; }
trap 'kill -TERM ${SERVER:-0} 2>/dev/null || true; rm -rf "$TMP"' EXIT
for batch in 1 8; do
  start $batch
  STOP_AFTER=0 wrk -t1 -c1 -d3s --timeout 60s -s "$HERE/serve_post.lua" "http://127.0.0.1:$PORT" >/dev/null  # warm-up
  for c in 1 8 32; do
    t=$([ $c -lt 2 ] && echo 1 || echo 2)
    line=$(STOP_AFTER=0 wrk -t$t -c$c -d${SECONDS_PER}s --timeout 60s -s "$HERE/serve_post.lua" "http://127.0.0.1:$PORT" | grep '^JSON')
    echo "max_batch=$batch concurrency=$c ${line#JSON }"
  done
  curl -s "http://127.0.0.1:$PORT/metrics" | grep '^melanoma_batches_total' | tr '\n' ' '; echo
  stop
done
# Peak RSS of a fresh server (batching on) over 2,000 requests at concurrency 8, for each malloc policy.
for policy in ${POLICIES:-keep-all keep-freed default}; do
  MALLOC=$policy start 8
  STOP_AFTER=0 wrk -t2 -c8 -d900s --timeout 60s -s "$HERE/serve_post.lua" "http://127.0.0.1:$PORT" > "$TMP/wrk.log" &
  WRK=$!
  until [ "$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^melanoma_batched_images_total/ {print $2}')" -ge 2000 ]; do sleep 1; done
  kill -INT $WRK; wait $WRK || true
  echo "malloc=$policy 2000 requests, max_batch=8 concurrency=8: $(grep '^JSON' "$TMP/wrk.log" | sed 's/^JSON //')"
  echo "malloc=$policy peak RSS: $(grep VmHWM /proc/$SERVER/status | awk '{printf "%.0f MiB", $2/1024}')"
  stop
done
