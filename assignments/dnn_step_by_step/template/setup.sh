#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image: install the grading kit
# (shipped in kit/ beside this file) and its dependencies with pip. No Docker image of ours is needed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${DNNGRADE_PYTHON:-python3}"

if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    apt-get update
    apt-get install -y --no-install-recommends python3-pip
fi

# Newer base images mark the system Python as externally managed; the image is ours to change.
export PIP_BREAK_SYSTEM_PACKAGES=1
"$PYTHON" -m pip install --no-cache-dir "$HERE/kit"
