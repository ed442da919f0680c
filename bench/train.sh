#!/usr/bin/env bash
# End-to-end training benchmark: one fold of EfficientNet-B0 + metadata on a synthetic dataset,
# ours (`melanoma train`) against the original recipe in python (bench/train_reference.py: torch +
# geffnet + albumentations 0.4.6), same data, flags, epochs, batch, workers and thread count, one
# after the other on the same machine. Both run with the same malloc regime (GLIBC_TUNABLES below:
# no mmap'd buffers, trim past 1 GiB; ours also sets the same with mallopt at start-up).
#
#   swift build -c release && bench/train.sh [N_TRAIN] [SIZE] [EPOCHS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}; size=${2:-128}; epochs=${3:-3}; seed=${4:-0}
out=${BENCH_OUT:-/tmp/melanoma-bench-train}
bin=.build/release/melanoma
py=.venv/bin/python
rm -rf "$out" && mkdir -p "$out"
export GLIBC_TUNABLES="glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1073741824"
export OMP_NUM_THREADS=2
"$bin" synth --out "$out/data" --size "$size" --train "$n" --test 10 --seed 1 >/dev/null
flags=(--kernel-type bench_b0_meta --data-dir "$out/data" --data-folder "$size" --image-size "$size"
       --enet-type efficientnet_b0 --batch-size 32 --num-workers 2 --init-lr 1e-4 --n-epochs "$epochs" --use-meta --seed "$seed")
echo "== ours"
/usr/bin/time -v "$bin" train "${flags[@]}" --fold 0 --model-dir "$out/w" --log-dir "$out/logs" 2>"$out/ours.time" \
  | tee "$out/ours.log"
grep -E "Elapsed|Maximum resident" "$out/ours.time"
echo "== python (torch $($py -c 'import torch; print(torch.__version__)'), geffnet, albumentations 0.4.6)"
/usr/bin/time -v "$py" bench/train_reference.py "${flags[@]}" --fold 0 --threads 2 2>"$out/python.time" | tee "$out/python.log"
grep -E "Elapsed|Maximum resident" "$out/python.time"
