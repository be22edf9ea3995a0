#!/bin/sh
# make bundle: the offline bundle for an intranet without internet access.
#   dist/lsweb-VERSION-offline-TAG.tar.gz = the lsweb wheel, the wheel of every dependency for the target
#   Python, install.sh, the deploy/ files and the docs.
# The target Python is the one that runs this script's pip (TARGET_PYTHON, default python3): build the
# bundle on a machine with the same Debian/Ubuntu release as the server (Debian 12: Python 3.11,
# Ubuntu 24.04: Python 3.12), or name another version and platform:
#   make bundle BUNDLE_PYTHON_VERSION=3.12 BUNDLE_PLATFORM=manylinux_2_28_x86_64
set -eu
cd "$(dirname "$0")/../.."
BUILD_PYTHON=${BUILD_PYTHON:-.venv/bin/python}
TARGET_PYTHON=${TARGET_PYTHON:-python3}
VERSION=$("$BUILD_PYTHON" -c 'import runpy; print(runpy.run_path("lsweb/_version.py")["__version__"])')
STAGE=$(mktemp -d /tmp/lsweb-bundle.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
NAME=lsweb-$VERSION-offline
mkdir -p "$STAGE/$NAME/wheels" dist
"$BUILD_PYTHON" -m build --no-isolation --wheel --outdir "$STAGE/$NAME/wheels" . >"$STAGE/build.log" 2>&1 || { cat "$STAGE/build.log"; exit 1; }
WHEEL=$(ls "$STAGE/$NAME"/wheels/lsweb-*.whl)
if [ -n "${BUNDLE_PYTHON_VERSION:-}" ]; then
  TAG=py$(echo "$BUNDLE_PYTHON_VERSION" | tr -d .)-${BUNDLE_PLATFORM:?set BUNDLE_PLATFORM too}
  "$TARGET_PYTHON" -m pip download --quiet --only-binary=:all: --dest "$STAGE/$NAME/wheels" \
    --python-version "$BUNDLE_PYTHON_VERSION" --platform "$BUNDLE_PLATFORM" "$WHEEL"
else
  TAG=$("$TARGET_PYTHON" -c 'import sys, sysconfig; print(f"py{sys.version_info[0]}{sys.version_info[1]}-" + sysconfig.get_platform().replace("-", "_"))')
  # pip wheel: every dependency as a wheel for this Python (downloaded, or built once from an sdist).
  "$TARGET_PYTHON" -m pip wheel --quiet --wheel-dir "$STAGE/$NAME/wheels" "$WHEEL"
fi
echo "$VERSION" > "$STAGE/$NAME/VERSION"
cp deploy/bundle/install.sh "$STAGE/$NAME/install.sh"
cp -r deploy "$STAGE/$NAME/deploy"
rm -rf "$STAGE/$NAME/deploy/bundle"
mkdir "$STAGE/$NAME/docs"
cp README.md CHANGELOG.md LICENSE "$STAGE/$NAME/"
cp docs/*.md "$STAGE/$NAME/docs/"
OUT=dist/$NAME-$TAG.tar.gz
tar -C "$STAGE" -czf "$OUT" "$NAME"
echo "$OUT ($(ls "$STAGE/$NAME/wheels" | wc -l) wheels)"
