#!/usr/bin/env bash
# OpenMP wait policy: one fold of B0 + metadata (64 px, 1 epoch, 1,190 images) trained with libgomp's
# spinning threads (OMP_WAIT_POLICY=ACTIVE, libtorch's default) and with passive waiting (what `melanoma`
# now sets), on a quiet machine and next to one busy process (`yes`, standing in for a build or another
# job), one after the other in one run. Prints training images/s for each.
#
#   swift build -c release && bench/omp-policy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/melanoma
out=${BENCH_OUT:-/tmp/melanoma-bench-omp}
rm -rf "$out" && mkdir -p "$out"
"$bin" synth --out "$out/data" --size 128 --train 1500 --test 10 --malignant-rate 0.3 >/dev/null
run() { # policy label
  OMP_WAIT_POLICY=$1 "$bin" train --kernel-type "omp_$1_$2" --data-dir "$out/data" --data-folder 128 --image-size 64 \
    --enet-type efficientnet_b0 --use-meta --batch-size 32 --n-epochs 1 --fold 0 --model-dir "$out/w" \
    --log-dir "$out/logs" >/dev/null 2>&1
  python3 - "$out/logs/log_omp_$1_$2.jsonl" "$1" "$2" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
print(f"{sys.argv[3]:6s} {sys.argv[2]:7s} {r['images_per_s']:7.1f} images/s  ({r['train_images']} images in {r['train_seconds']:.1f} s)")
PY
}
echo "machine: $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for p in ACTIVE PASSIVE; do run $p quiet; done
yes > /dev/null & busy=$!
trap 'kill $busy 2>/dev/null || true' EXIT
for p in ACTIVE PASSIVE; do run $p busy; done
