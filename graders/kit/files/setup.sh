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

# bubblewrap, the strong sandbox, where the image can have it (Gradescope's images are Ubuntu).
if ! command -v bwrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends bubblewrap \
        || { apt-get update && apt-get install -y --no-install-recommends bubblewrap; } \
        || echo "setup.sh: bubblewrap could not be installed"
fi

# Newer base images mark the system Python as externally managed; the image is ours to change.
export PIP_BREAK_SYSTEM_PACKAGES=1
"$PYTHON" -m pip install --no-cache-dir "$HERE/kit"

# Say in the build log how student code will be isolated here.
"$PYTHON" - <<'PY' || true
from graders.sandbox.launch import bwrap_unavailable_reason
why = bwrap_unavailable_reason()
if why is None:
    print("setup.sh: the bubblewrap sandbox starts here: student code runs in it.")
else:
    print("setup.sh: the bubblewrap sandbox cannot start here (%s). Student code will run as a user of its "
          "own with the kit hidden from it by file permissions; if that cannot be done, nothing is "
          "graded and every submission says why (see the README's threat model)." % why)
PY
