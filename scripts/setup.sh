#!/usr/bin/env bash
# Sets up torchtrain on a fresh Debian/Ubuntu machine: makes sure a libtorch is there, installs
# the npm dependencies, builds the addon and runs a short tensor + autograd example.
#
#   bash scripts/setup.sh            use the libtorch found (DESIGN.md section 2); if none,
#                                    install the pinned PyTorch from PyPI into ./.venv
#   bash scripts/setup.sh --pypi     always use the pinned PyPI PyTorch in ./.venv (primary target)
#   bash scripts/setup.sh --system   Debian's libtorch-dev + python3-torch + OpenBLAS (system target),
#                                    built into build-system/ (set TORCHTRAIN_BUILD_DIR=build-system to use it)
#   --no-example                     skip the example at the end
#
# Downloads are cached outside the clone (TORCHTRAIN_CACHE, default ~/.cache/torchtrain): the
# PyPI virtual environment is built once per pinned requirements file and linked as ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=auto
example=1
for arg in "$@"; do
  case "$arg" in
    --pypi) mode=pypi ;;
    --system) mode=system ;;
    --no-example) example=0 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "setup.sh: '$*' needs root; run it as root or install sudo" >&2; exit 1; fi; }

apt_install() {
  step "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 || {
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
  }
}

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup.sh: torchtrain needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

cache="${TORCHTRAIN_CACHE:-$HOME/.cache/torchtrain}"
requirements=scripts/requirements-torch.txt
test_requirements=scripts/requirements-test.txt

install_pypi_torch() {
  local python=${TORCHTRAIN_BASE_PYTHON:-python3}
  local key
  key=$(cat "$requirements" <("$python" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)
  local venv="$cache/venv-$key"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch' 2>/dev/null; then
    step "PyTorch from PyPI: reusing the cached environment $venv"
  else
    step "PyTorch from PyPI: installing $(grep -v '^#' "$requirements" | xargs) into $venv (about 5 GB, ~1-2 min)"
    rm -rf "$venv"
    mkdir -p "$cache"
    if ! "$python" -m venv "$venv" 2>/dev/null; then
      apt_install python3-venv
      "$python" -m venv "$venv"
    fi
    "$venv/bin/pip" install --progress-bar on -r "$requirements"
  fi
  # The tests' independent file readers (tensorboard, tbparse) go into the same environment; they
  # are not part of its cache key, so adding one does not reinstall torch (pip skips what is
  # already installed at the pinned version, without asking the index).
  step "test readers from PyPI: $(grep -v '^#' "$test_requirements" | xargs)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$test_requirements"
  if [ -e .venv ] && [ ! -L .venv ]; then
    echo "setup.sh: ./.venv exists and is not the link this script manages; move it away first" >&2
    exit 1
  fi
  ln -sfn "$venv" .venv
  export TORCHTRAIN_TARGET=python TORCHTRAIN_PYTHON="$PWD/.venv/bin/python"
}

case "$mode" in
  system)
    apt_install libtorch-dev python3-torch libopenblas0-pthread
    export TORCHTRAIN_TARGET=system TORCHTRAIN_BUILD_DIR=${TORCHTRAIN_BUILD_DIR:-build-system}
    ;;
  pypi)
    install_pypi_torch
    ;;
  auto)
    step "looking for libtorch"
    if ! node scripts/find-libtorch.mjs >/dev/null; then
      echo "no libtorch found: installing the pinned PyTorch from PyPI"
      install_pypi_torch
    fi
    ;;
esac

# gloo's headers for distributed (c10d's ProcessGroupGloo includes them; the PyPI wheel lacks them).
[ -f /usr/include/gloo/context.h ] || apt_install libgloo-dev
# `ip netns` for the multi-node test (two network namespaces stand for two machines).
command -v ip >/dev/null || apt_install iproute2

step "npm dependencies and the native addon (npm ci runs the build; ~1.5 min the first time)"
if [ -d node_modules ] && [ "$mode" = system ]; then
  node scripts/install.mjs
else
  npm ci --no-audit --no-fund
fi

# The dashboard's tests open it in a real browser: Debian's chromium, driven by playwright-core
# (browsers that download themselves cannot here).
command -v chromium >/dev/null || apt_install chromium

step "torchtrain info"
npx tsx lib/cli/info.ts

if [ "$example" = 1 ]; then
  step "a short tensor and autograd example (examples/tensor-basics.ts)"
  npx tsx examples/tensor-basics.ts
fi
step "done. Run the tests with: npm test"
