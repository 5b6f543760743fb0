# Installs the locked dependencies (requirements/lock.txt, `make lock` refreshes it) and the project,
# editable, into the virtualenv whose python is $1. With uv (a wheel on PyPI, no compiler needed) the
# packages download in parallel and install from its cache; pip, when uv cannot be had, installs
# the same pinned and hashed files, more slowly.
set -eu
python="$1"
lock="$2"
if "$python" -m uv --version >/dev/null 2>&1 || "$python" -m pip install --quiet "uv>=0.5,<1"; then
  # The cache is often on another file system than the venv: copy rather than warn about hard links.
  export UV_LINK_MODE="${UV_LINK_MODE:-copy}"
  "$python" -m uv pip sync --quiet --python "$python" --require-hashes "$lock"
  "$python" -m uv pip install --quiet --python "$python" --no-deps --editable .
else
  echo "install: uv is not available, installing with pip"
  "$python" -m pip install --quiet --upgrade pip
  "$python" -m pip install --quiet --require-hashes --requirement "$lock"
  "$python" -m pip install --quiet --no-deps --editable .
fi
