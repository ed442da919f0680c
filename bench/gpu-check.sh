#!/usr/bin/env bash
# The GPU checks, prepared here and run on a session's device machine (the `device` tool: one command, a copy
# of the working tree, torch 2.11+cu130 in /opt/torch/.venv, no Swift, no network).
#
#   bench/gpu-check.sh prepare     here: a release binary with the Swift runtime linked in, and the few
#                                  shared libraries it needs besides libtorch, under .device/ (<= 64 MiB)
#   bench/gpu-check.sh run [OUT]   there (carry .device): doctor; CUDA vs CPU logits of B0, B3 and ResNeSt;
#                                  one epoch of B3 @ 512 on synthetic 768-px images with fp16 and bf16 AMP,
#                                  channels-last, images/s and GPU utilisation (nvidia-smi); predict images/s;
#                                  the python reference epoch when geffnet and albumentations import there;
#                                  data-parallel B3 @ 512 on 1 GPU against all of them (NCCL), scaling
#                                  efficiency (with one GPU: a 2-worker Gloo job on it, as a functional check)
#
# A device call: run(command="bench/gpu-check.sh run $OUT", carry=[".device"], timeout_s=540).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in
prepare)
  swift build -c release --static-swift-stdlib --scratch-path .build-static
  stage=$(mktemp -d)
  mkdir -p "$stage/bin" "$stage/lib"
  strip -o "$stage/bin/melanoma" .build-static/release/melanoma
  # Everything the binary links besides libtorch (which the device has) and glibc's own libraries.
  ldd "$stage/bin/melanoma" | awk '/=> \// {print $3}' | while read -r lib; do
    case "$(basename "$lib")" in
      libtorch*|libc10*|libgomp*|libcudart*|libnvrtc*|libcu*|libnccl*|libnv*) ;;
      libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*|libstdc++*|libgcc_s*) ;;
      *) cp -L "$lib" "$stage/lib/" ;;
    esac
  done
  # The NCCL backend of data-parallel training, found by the binary in ../lib.
  scripts/build-nccl-shim.sh "$stage/lib/libctorch_nccl.so"
  # The static Swift runtime carries ICU's data: compressed, binary and libraries fit what a call carries.
  rm -rf .device && mkdir -p .device
  tar -C "$stage" -cJf .device/bundle.tar.xz bin lib
  rm -rf "$stage"
  du -sh .device/bundle.tar.xz
  size=$(du -sm .device | cut -f1)
  [ "$size" -le 64 ] || { echo "gpu-check: .device is ${size} MiB, over the 64 MiB a device call carries" >&2; exit 1; }
  echo "ready: carry .device and run: bench/gpu-check.sh run \$OUT"
  ;;
run)
  out=${2:-${OUT:-/tmp/gpu-check}}
  mkdir -p "$out"
  py=${TORCH_PYTHON:-/opt/torch/.venv/bin/python}
  torchlib=$("$py" -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
  bundle=$(mktemp -d)
  tar -C "$bundle" -xJf .device/bundle.tar.xz
  export LD_LIBRARY_PATH="$bundle/lib:$torchlib:${LD_LIBRARY_PATH:-}"
  bin=$bundle/bin/melanoma
  if [ "${GPU_CHECK_LOCAL:-0}" = 1 ]; then "$bin" doctor; exit 0; fi  # the local half's test: the bundle runs
  log() { echo "== $*" | tee -a "$out/summary.txt"; }
  log "doctor"; "$bin" doctor --require-cuda 2>&1 | tee -a "$out/summary.txt"
  log "CUDA vs CPU logits (fp32, limit 1e-3)"
  for a in efficientnet_b0 efficientnet_b3 resnest101; do
    "$bin" bench models --arch "$a" --mode forward --size 256 --batch 4 --iters 3 --device cuda --compare-cpu \
      | tee -a "$out/summary.txt"
  done
  "$bin" synth --out "$out/data" --size 768 --train 600 --test 200 >/dev/null
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader -l 1 >"$out/nvidia-smi.csv" 2>&1 & smi=$!
  for amp in fp16 bf16; do
    log "one epoch of B3 @ 512, --use-amp --amp-dtype $amp, channels-last"
    "$bin" train --kernel-type gpu_b3_$amp --data-dir "$out/data" --data-folder 768 --image-size 512 \
      --enet-type efficientnet_b3 --use-meta --batch-size 32 --num-workers 8 --n-epochs 1 --fold 0 --device cuda \
      --use-amp --amp-dtype "$amp" --model-dir "$out/w" --log-dir "$out/logs" >"$out/train_$amp.log" 2>&1
    head -1 "$out/logs/log_gpu_b3_$amp.jsonl" | tee -a "$out/summary.txt"
  done
  log "predict, 8 TTA"
  /usr/bin/time -f "%e s" "$bin" predict --kernel-type gpu_b3_bf16 --data-dir "$out/data" --data-folder 768 \
    --image-size 512 --enet-type efficientnet_b3 --use-meta --batch-size 32 --num-workers 8 --fold 0 --device cuda \
    --use-amp --model-dir "$out/w" --log-dir "$out/logs" --sub-dir "$out/subs" 2>&1 | tail -2 | tee -a "$out/summary.txt"
  kill $smi 2>/dev/null || true
  log "GPU utilisation while training (mean of nvidia-smi samples)"
  awk -F'[ ,%]+' '{u += $1; n++} END {if (n) printf "%.0f %% over %d s\n", u / n, n}' "$out/nvidia-smi.csv" \
    | tee -a "$out/summary.txt"
  ngpu=$(nvidia-smi -L | wc -l)
  dp=(--data-dir "$out/data" --data-folder 768 --image-size 512 --enet-type efficientnet_b3 --use-meta --batch-size 64
      --n-epochs 1 --fold 0 --device cuda --use-amp --model-dir "$out/w" --log-dir "$out/logs")
  log "data-parallel: B3 @ 512, batch 64, bf16, 1 GPU"
  "$bin" train --kernel-type dp_1 "${dp[@]}" --num-workers 8 >"$out/dp_1.log" 2>&1
  head -1 "$out/logs/log_dp_1.jsonl" | tee -a "$out/summary.txt"
  if [ "$ngpu" -ge 2 ]; then
    log "data-parallel: the same on all $ngpu GPUs (NCCL)"
    "$bin" train --kernel-type dp_all "${dp[@]}" --num-workers 4 --nproc-per-node "$ngpu" >"$out/dp_all.log" 2>&1
  else
    log "data-parallel: one GPU, so 2 workers share it over Gloo (a functional check, not a scaling number)"
    MELANOMA_NCCL_SHIM=none "$bin" train --kernel-type dp_all "${dp[@]}" --num-workers 4 --nproc-per-node 2 \
      >"$out/dp_all.log" 2>&1
  fi
  grep -E "^job" "$out/dp_all.log" | tee -a "$out/summary.txt"
  head -1 "$out/logs/log_dp_all.jsonl" | tee -a "$out/summary.txt"
  python3 - "$out/logs/log_dp_1.jsonl" "$out/logs/log_dp_all.jsonl" "$ngpu" <<'PY' | tee -a "$out/summary.txt"
import json, sys
one, many = (json.loads(open(f).readline())["images_per_s"] for f in sys.argv[1:3])
n = max(2, int(sys.argv[3]))
print(f"scaling: {one:.1f} -> {many:.1f} images/s on {n} workers, efficiency {many / (n * one):.0%}")
PY
  if "$py" -c 'import geffnet, albumentations' 2>/dev/null; then
    log "python reference epoch (bench/train_reference.py)"
    "$py" bench/train_reference.py --kernel-type ref --data-dir "$out/data" --data-folder 768 \
      --image-size 512 --enet-type efficientnet_b3 --use-meta --batch-size 32 --num-workers 8 --n-epochs 1 --fold 0 \
      --device cuda --use-amp 2>&1 | tail -3 | tee -a "$out/summary.txt"
  else
    log "python reference skipped: geffnet and albumentations 0.4.6 are not installed on the device"
  fi
  ;;
*) sed -n 2,14p "$0"; exit 2 ;;
esac
