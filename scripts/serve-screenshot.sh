#!/usr/bin/env bash
# Starts `melanoma serve` on 127.0.0.1, drives its page in headless Chromium (upload, age, sex, site,
# Analyse) and saves a screenshot of the result with the Grad-CAM overlay.
# Usage: scripts/serve-screenshot.sh [OUT.png]            (default out/serve-screenshot.png)
#   MODEL_DIR=... KERNEL=... IMAGE=...  use a trained model and an image of your own; otherwise a small
#   model is trained on synthetic data first (one fold, 64 px, 4 epochs; a few minutes on 2 cores), and the
#   test image it scores highest is uploaded.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/serve-screenshot.png}
PORT=${PORT:-8097}
BIN=${BIN:-.build/debug/melanoma}
WORK=${WORK:-out/serve-screenshot}
mkdir -p "$(dirname "$OUT")" "$WORK"
[ -x "$BIN" ] || swift build
command -v chromium >/dev/null || { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo; $SUDO apt-get install -y -qq chromium; }
.venv/bin/python -c 'import websocket' 2>/dev/null || .venv/bin/pip install -q --disable-pip-version-check websocket-client

if [ -z "${MODEL_DIR:-}" ]; then
  MODEL_DIR=$WORK/weights KERNEL=shot_b0_meta
  FLAGS=(--kernel-type $KERNEL --data-dir $WORK/data --data-folder 64 --image-size 64 --enet-type efficientnet_b0
         --use-meta --n-meta-dim 16,8 --fold 0 --batch-size 8 --num-workers 1 --model-dir $MODEL_DIR --log-dir $WORK/logs)
  if [ ! -f "$MODEL_DIR/$KERNEL.json" ] || [ ! -f "$MODEL_DIR/${KERNEL}_best_fold0.pth" ]; then
    "$BIN" synth --out $WORK/data --size 64 --train 400 --test 20 --seed 1 --malignant-rate 0.3
    "$BIN" train "${FLAGS[@]}" --n-epochs 4 --init-lr 3e-4
    "$BIN" evaluate "${FLAGS[@]}" --eval final --n-test 2 --oof-dir $WORK/oofs
    cp "$MODEL_DIR/${KERNEL}_final_fold0.pth" "$MODEL_DIR/${KERNEL}_best_fold0.pth"
  fi
  # The test image the model scores highest.
  IMAGE=${IMAGE:-$("$BIN" predict-image $WORK/data/jpeg-melanoma-64x64/test --model-dir "$MODEL_DIR" --kernel-type $KERNEL \
    --meta $WORK/data/jpeg-melanoma-64x64/test.csv --n-test 1 --json \
    | .venv/bin/python -c 'import sys, json; print(max((json.loads(l) for l in sys.stdin), key=lambda r: r["probability"])["image"])')}
fi
: "${KERNEL:?set KERNEL with MODEL_DIR}" "${IMAGE:?set IMAGE with MODEL_DIR}"

"$BIN" serve --model-dir "$MODEL_DIR" --kernel-type "$KERNEL" --port "$PORT" --n-test 8 > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.3; done
.venv/bin/python scripts/serve_screenshot.py "http://127.0.0.1:$PORT/" "$IMAGE" "$OUT"
echo "screenshot: $OUT"
