#!/usr/bin/env bash
# Sets up everything the build needs, idempotently: Debian packages (OpenCV core/imgproc,
# libjpeg-turbo, libpng, gloo's headers), a project-local virtualenv with the PyPI torch==2.11.0 wheel whose
# libtorch we link against, and (with --test) the python reference libraries the tests use.
# Usage: scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WANT_TEST=0
[ "${1:-}" = "--test" ] && WANT_TEST=1

say() { printf '[setup] %s\n' "$*"; }

# 1. Debian packages
# libgloo-dev: only its headers, which c10d's ProcessGroupGloo.hpp includes (the gloo code is libtorch's).
APT_PKGS="libopencv-core-dev libopencv-imgproc-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev pkg-config libgloo-dev"
missing=""
for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  say "installing Debian packages:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# 2. The virtualenv with torch 2.11.0 (libtorch lives inside the wheel)
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
if [ ! -f .venv/.torch-2.11.0 ]; then
  say "installing torch==2.11.0 from PyPI (about a minute)"
  .venv/bin/pip install -q --disable-pip-version-check -c Tests/Reference/constraints.txt "torch==2.11.0" numpy safetensors
  touch .venv/.torch-2.11.0
fi
SITE=$(.venv/bin/python -c 'import torch, os; print(os.path.dirname(torch.__file__))')
ln -sfn "$SITE" .libtorch

# 3. Python reference libraries for the golden tests
if [ "$WANT_TEST" = 1 ]; then
  REQ=Tests/Reference/requirements.txt
  SUM=$(cat "$REQ" Tests/Reference/constraints.txt | sha1sum | cut -c1-12)
  if [ ! -f ".venv/.reference-$SUM" ]; then
    say "installing python reference libraries ($REQ)"
    .venv/bin/pip install -q --disable-pip-version-check -c Tests/Reference/constraints.txt -r "$REQ"
    # albumentations 0.4.6 (the original's pin) is an sdist whose setup.py needs pkg_resources: it
    # builds only outside pip's isolated env, and without its deps (imgaug cannot load on numpy 2;
    # Tests/Reference/aug_albu.py stubs what its __init__ imports).
    .venv/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation \
      -c Tests/Reference/constraints.txt "albumentations==0.4.6"
    rm -f .venv/.reference-*; touch ".venv/.reference-$SUM"
  fi
fi
say "ready: libtorch at $ROOT/.libtorch"
