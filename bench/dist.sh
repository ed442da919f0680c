#!/usr/bin/env bash
# Data-parallel training on one machine: 1 worker x 2 threads against 2 workers x 1 thread (the built-in
# launcher, Gloo), EfficientNet-B0 + metadata on synthetic data, the same global batch, seed and data, one
# after the other. Prints train images/s per epoch (from log_*.jsonl), the wall time, and the cost of one
# step's gradient all-reduce before overlap (the job's own measurement). Loader threads are the same in
# total: 2 for the single worker, 1 per worker in the job. malloc: ours sets the keep-buffers regime at
# start-up in every worker (MallocRegime).
#
#   swift build -c release && bench/dist.sh [N_TRAIN] [SIZE] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}; size=${2:-128}; epochs=${3:-2}
out=${BENCH_OUT:-/tmp/melanoma-bench-dist}
bin=.build/release/melanoma
rm -rf "$out" && mkdir -p "$out"
"$bin" synth --out "$out/data" --size "$size" --train "$n" --test 10 --seed 1 >/dev/null
flags=(--data-dir "$out/data" --data-folder "$size" --image-size "$size" --enet-type efficientnet_b0 --use-meta
       --batch-size 32 --init-lr 1e-4 --n-epochs "$epochs" --fold 0 --model-dir "$out/w" --log-dir "$out/logs")
run() {
  local name=$1; shift
  local t0=$(date +%s.%N)
  "$bin" train --kernel-type "$name" "${flags[@]}" "$@" >"$out/$name.log" 2>&1
  local t1=$(date +%s.%N)
  echo "== $name ($*): wall $(echo "$t1 - $t0" | bc) s"
  grep -E "^job|all-reduce" "$out/$name.log" || true
  python3 - "$out/logs/log_$name.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"   epoch {r['epoch']}: {r['images_per_s']:.1f} train images/s, {r['train_seconds']:.1f} s train, "
          f"{r['valid_seconds']:.1f} s valid, auc {r['auc']:.4f}")
PY
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
OMP_NUM_THREADS=2 run one_x2 --num-workers 2
OMP_NUM_THREADS=1 run two_x1 --num-workers 1 --nproc-per-node 2
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
