#!/usr/bin/env bash
# Set up a fresh machine for gradlab: system packages (for the PyTorch conformance/export
# tests, the peer benchmarks, the browser tests, the Fashion-MNIST data and jq for a --help
# example the docs test runs), npm packages,
# and the build (WebAssembly kernels, TypeScript, the web lab).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3-torch python3-numpy libopenblas0-pthread dataset-fashion-mnist chromium jq)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else SUDO="none"; fi
  if [ "$SUDO" = none ]; then
    echo "setup: not root and no sudo; install these Debian packages for the full test suite: ${missing[*]}" >&2
  else
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# npm ci installs exactly the lock file (which lists every platform's optional packages, e.g.
# rollup's and esbuild's native binaries) and leaves it untouched.
npm ci --no-audit --no-fund
npm run build
