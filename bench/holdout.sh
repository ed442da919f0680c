#!/usr/bin/env bash
# Issue 13's holdout run: 5 folds x EPOCHS of EfficientNet-B0 + metadata at 128 px on 2,000 + 600 external
# synthetic training images (1,000 test images), ours (one `melanoma train --fold 0,1,2,3,4`, then `predict`
# with 8-way TTA over the 5 fold models) against the original recipe in python (bench/train_reference.py, one
# process per fold as the original's train.py), same data, flags, batch, workers, threads and malloc regime
# as bench/train.sh. The python reference has no predict step, so the training walls are compared, and
# ours' predict time is printed beside them.
#
#   swift build -c release && bench/holdout.sh [EPOCHS]
#
# BENCH_SEED=k (default 1) seeds the synthetic data with k and both trainings with k - 1 (so the default is the
# data of seed 1 and the runs of seed 0). BENCH_SIDES=ours|python|both (default both) runs one side only, for
# AUC over more seeds where the walls are not compared.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-4}
seed=${BENCH_SEED:-1}
sides=${BENCH_SIDES:-both}
out=${BENCH_OUT:-/tmp/melanoma-bench-holdout}
bin=${BENCH_BIN:-.build/release/melanoma}
py=.venv/bin/python
rm -rf "$out" && mkdir -p "$out"
export GLIBC_TUNABLES="glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1073741824"
export OMP_NUM_THREADS=2
"$bin" synth --out "$out/data" --size 128 --train 2000 --external 600 --test 1000 --seed "$seed" >/dev/null
common=(--kernel-type bench_b0_meta_ext --data-dir "$out/data" --data-folder 128 --image-size 128
        --enet-type efficientnet_b0 --batch-size 32 --num-workers 2 --use-meta)
flags=("${common[@]}" --init-lr 1e-4 --n-epochs "$epochs" --seed $((seed - 1)))
best() {  # mean over folds of each fold's best epoch AUC, from epoch lines "Fold k, ... auc: x,"
  python3 -c '
import re, sys
best = {}
for line in open(sys.argv[1]):
    m = re.search(r"Fold (\d+), Epoch \d+,.* auc: ([0-9.]+),", line)
    if m: best[m[1]] = max(best.get(m[1], 0.0), float(m[2]))
print(f"best AUC per fold {[round(v, 4) for _, v in sorted(best.items())]}, mean {sum(best.values()) / max(1, len(best)):.4f}")
' "$1"
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); data seed $seed, run seed $((seed - 1))"
if [[ $sides != python ]]; then
echo "== ours: train 5 folds"
/usr/bin/time -v "$bin" train "${flags[@]}" --fold 0,1,2,3,4 --model-dir "$out/w" --log-dir "$out/logs" \
  >"$out/ours.log" 2>"$out/ours.time"
grep -E "Elapsed|Maximum resident" "$out/ours.time"; best "$out/ours.log"
echo "== ours: predict, 8 TTA x 5 fold models"
/usr/bin/time -v "$bin" predict "${common[@]}" --model-dir "$out/w" --sub-dir "$out/subs" --n-test 8 \
  >"$out/predict.log" 2>"$out/predict.time"
grep -E "Elapsed|Maximum resident" "$out/predict.time"
fi
[[ $sides == ours ]] && exit 0
echo "== python (torch $($py -c 'import torch; print(torch.__version__)'), geffnet, albumentations 0.4.6): train 5 folds"
for f in 0 1 2 3 4; do
  /usr/bin/time -v "$py" bench/train_reference.py "${flags[@]}" --fold "$f" --threads 2 >>"$out/python.log" \
    2>"$out/python.$f.time"
  grep -E "Elapsed|Maximum resident" "$out/python.$f.time" | sed "s/^/fold $f: /"
done
best "$out/python.log"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
