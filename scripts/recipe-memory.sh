#!/usr/bin/env bash
# Memory of each row of the README's 18-model recipe (batch 64, float32), estimated from `melanoma train
# --check-memory` measured at 128 px and scaled by the pixel count to each row's image size (a CNN's
# activations grow with H x W; weights, gradients and Adam's moments do not). Prints a markdown table.
#
#   swift build -c release && scripts/recipe-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/melanoma
out=${OUT:-/tmp/melanoma-recipe-memory}
rm -rf "$out" && mkdir -p "$out"
"$bin" synth --out "$out/data" --size 128 --train 40 --test 4 >/dev/null
rows="1 efficientnet_b3 512 meta
2 tf_efficientnet_b4_ns 896 -
3 tf_efficientnet_b4_ns 448 -
4 tf_efficientnet_b4_ns 640 -
5 tf_efficientnet_b4_ns 768 -
6 tf_efficientnet_b4_ns 640 meta
7 tf_efficientnet_b5_ns 640 -
8 tf_efficientnet_b5_ns 640 -
9 tf_efficientnet_b5_ns 448 -
10 tf_efficientnet_b5_ns 384 meta128
11 tf_efficientnet_b6_ns 448 -
12 tf_efficientnet_b6_ns 576 -
13 tf_efficientnet_b6_ns 640 -
14 tf_efficientnet_b7_ns 576 -
15 tf_efficientnet_b7_ns 640 -
16 tf_efficientnet_b7_ns 384 meta
17 resnest101 640 -
18 seresnext101 640 -"
echo "| # | backbone | size | per image | fixed | batch 64, fp32 |"
echo "|---:|---|---:|---:|---:|---:|"
echo "$rows" | while read -r n enet size meta; do
  extra=()
  [ "$meta" = meta ] && extra=(--use-meta)
  [ "$meta" = meta128 ] && extra=(--use-meta --n-meta-dim 128,32)
  line=$("$bin" train --check-memory --kernel-type probe --data-dir "$out/data" --data-folder 128 --image-size 128 \
    --enet-type "$enet" --batch-size 64 --model-dir "$out/w" --log-dir "$out/l" "${extra[@]}" 2>&1 | grep '^memory' || true)
  python3 - "$n" "$enet" "$size" "$line" <<'PY'
import re, sys
n, enet, size, line = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def gib(text):
    v, u = text.split()
    return float(v) / (1 if u == "GiB" else 1024)
m = re.search(r"\(([\d.]+ [MG]iB) per image, ([\d.]+ [MG]iB) fixed", line)
if not m:
    print(f"| {n} | {enet} | {size} | ? | ? | ? |"); sys.exit()
per = gib(m.group(1)) * (size / 128) ** 2
fixed = gib(m.group(2))
print(f"| {n} | {enet} | {size} | {per:.2f} GiB | {fixed:.2f} GiB | {fixed + 64 * per:.0f} GiB |")
PY
done
