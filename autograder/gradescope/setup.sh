#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image; `./kit image
# build` runs it in the grading image too (autograder/image/build.py).
# It installs the kit into its own Python environment, readable by everyone (the students'
# kernels run Python from it), and makes the unprivileged user those kernels run as.
# NN_KIT_ENV and NN_KIT_USER override where and who (the kit's tests use them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"  # /autograder/source
env_dir="${NN_KIT_ENV:-/opt/nn-kit}"
user="${NN_KIT_USER:-student}"

if ! command -v python3 >/dev/null || ! python3 -c "import venv, ensurepip" 2>/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv python3-pip
fi
python3 -m venv "$env_dir"
"$env_dir/bin/pip" install -q --upgrade pip
"$env_dir/bin/pip" install -q -r "$here/requirements.txt" "$here/kit"
# The data sets the notebooks load, where run_autograder points nn_utils: downloaded if
# the image build has a network, else the kit's stand-ins (grading itself is offline).
NN_UTILS_CACHE_DIR="$env_dir/data" "$env_dir/bin/python" -m nn_utils.data
# Only what lacks the bits: in a container image, chmod of a file from an earlier layer
# copies it into this layer even when nothing changes (a second copy of the environment).
find "$env_dir" \( \( -type d ! -perm -0555 \) -o \( ! -type d ! -perm -0444 \) \
    -o \( -type f -perm /0111 ! -perm -0111 \) \) -exec chmod a+rX {} +

if ! id -u "$user" >/dev/null 2>&1; then
    useradd --no-create-home --shell /usr/sbin/nologin "$user"
fi
# The assignment's tests and the gradebook stay root's: the student's code cannot read them.
chmod -R go-rwx "$here"
