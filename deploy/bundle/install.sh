#!/bin/sh
# Install lsweb from this offline bundle, with no network access: every wheel is in wheels/.
#   sh install.sh [PREFIX]        PREFIX: the virtual environment to create (default /opt/lsweb)
# Running it again from a newer bundle upgrades lsweb in place; from an older one, goes back to it.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${1:-/opt/lsweb}
PYTHON=${PYTHON:-python3}
VERSION=$(cat "$HERE/VERSION")
[ -x "$PREFIX/bin/python" ] || "$PYTHON" -m venv "$PREFIX"
"$PREFIX/bin/python" -m pip install --quiet --no-index --find-links "$HERE/wheels" "lsweb==$VERSION"
"$PREFIX/bin/lsweb" --version
