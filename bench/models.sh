#!/usr/bin/env bash
# Model benchmark: `melanoma bench models` (release build) against bench/models_reference.py
# (python torch 2.11 + geffnet), same model, batch, size and thread count, run alternately so
# both see the same machine load. Prints a table with the ratio ours/python (images/s).
#
#   swift build -c release && bench/models.sh [--rounds N] [--malloc default|tuned] [bench args...]
#
# --malloc tuned (default) sets, for both processes, GLIBC_TUNABLES so glibc keeps freed big
# buffers instead of returning them to the kernel (mmap_max=0: no mmap'd chunks, so nothing is
# unmapped on free; trim_threshold 4 GiB: the heap top is not trimmed). --malloc default leaves
# glibc as it is (buffers over the dynamic mmap threshold, at most 32 MiB, are mmap'd and unmapped
# on every free, so each step page-faults its activations in again).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=2
malloc=tuned
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --malloc) malloc="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [[ "$malloc" == tuned ]]; then
  export GLIBC_TUNABLES="glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296"
else
  unset GLIBC_TUNABLES || true
fi
export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
bin=.build/release/melanoma
py=.venv/bin/python
[[ -x "$bin" ]] || { echo "build first: swift build -c release" >&2; exit 1; }
out=$(mktemp)
for ((r = 1; r <= rounds; r++)); do
  for cl in "" "--channels-last"; do
    "$bin" bench models $cl "${args[@]+"${args[@]}"}" | tee -a "$out"
    "$py" bench/models_reference.py $cl "${args[@]+"${args[@]}"}" | tee -a "$out"
  done
done >&2
"$py" - "$out" "$malloc" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
groups = {}
for r in rows:
    g = groups.setdefault((r["arch"], r["mode"], r["channels_last"]), {})
    g.setdefault(r["impl"], []).extend(r["times_s"])
b = rows[0]
print(f"malloc: {sys.argv[2]}; batch {b['batch']}, {b['size']}px, {b['threads']} threads; images/s from the best "
      f"and the median step over all timed steps of all rounds")
print(f"{'arch':18} {'mode':8} {'layout':14} {'ours best':>9} {'py best':>8} {'ratio':>6} {'ours med':>9} {'py med':>7} {'ratio':>6}")
for (arch, mode, cl), v in sorted(groups.items()):
    n = b["batch"]
    s, p = v.get("swift", [float("inf")]), v.get("python", [float("inf")])
    sb, pb, sm, pm = n / min(s), n / min(p), n / statistics.median(s), n / statistics.median(p)
    print(f"{arch:18} {mode:8} {'channels-last' if cl else 'contiguous':14} {sb:9.2f} {pb:8.2f} {sb / pb:6.2f} "
          f"{sm:9.2f} {pm:7.2f} {sm / pm:6.2f}")
PY
rm -f "$out"
