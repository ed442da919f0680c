#!/usr/bin/env bash
# Builds libctorch_nccl.so, the NCCL backend of data-parallel training on CUDA (Sources/CTorch/nccl).
# Only GPU builds need it; without it a CUDA job falls back to Gloo (slower: through host memory).
# It compiles against the wheel's c10d headers, the CUDA runtime headers of the nvidia-* wheels torch
# installed, plus two small header wheels torch does not install (nvidia-cuda-crt, nvidia-cuda-cccl, 13.0
# as the wheel's CUDA), and links libtorch_cuda.so.
# Usage: scripts/build-nccl-shim.sh [OUT]   (default .build/nccl/libctorch_nccl.so)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.build/nccl/libctorch_nccl.so}
T=.libtorch
N=$(.venv/bin/python -c 'import nvidia, os; print(nvidia.__path__[0])')
H=.build/cuda-headers
if [ ! -f "$H/.done" ]; then
  rm -rf "$H" && mkdir -p "$H"
  .venv/bin/pip download -q --disable-pip-version-check --no-deps -d "$H/wheels" \
    nvidia-cuda-crt==13.0.88 nvidia-cuda-cccl==13.0.85
  for w in "$H"/wheels/*.whl; do python3 -m zipfile -e "$w" "$H"; done
  touch "$H/.done"
fi
mkdir -p "$(dirname "$out")"
g++ -std=c++17 -O2 -fPIC -shared -w -D_GLIBCXX_USE_CXX11_ABI=1 -DUSE_C10D_NCCL -DUSE_CUDA \
  -I"$T/include" -I"$T/include/torch/csrc/api/include" \
  -I"$N/cu13/include" -I"$H/nvidia/cu13/include" -I"$H/nvidia/cu13/include/cccl" -I"$N/nccl/include" \
  Sources/CTorch/nccl/ctorch_nccl.cpp -o "$out" \
  -L"$T/lib" -Wl,--no-as-needed -ltorch_cuda -ltorch_cpu -lc10_cuda -lc10
echo "built $out ($(du -h "$out" | cut -f1))"
