#!/usr/bin/env bash
# Build the offline bundle (`make bundle`), on a machine that can reach the package index:
#   dist/footprint-VERSION-linux-x86_64.tar.gz
# holding the application as a wheel, every runtime wheel for CPython 3.11 on Linux x86-64
# (glibc >= 2.28: pandas 3 publishes no older wheels), pip/setuptools/wheel, the standards and
# mapping files, the service files and install.sh. Nothing in it is fetched at install time.
#
# Environment: PYTHON (python for pip; default python3), FOOTPRINT_VERSION (default: the
# pyproject version + the git commit), DIST (output folder; default dist/), PIP_CACHE_DIR (pip's
# download cache: reused between builds).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd -P)"
PYTHON="${PYTHON:-python3}"
DIST="${DIST:-$ROOT/dist}"
PY_VERSION=3.11
# pip does not widen a manylinux_2_28 target to the older glibc tags, so every tag is listed.
PLATFORMS=(manylinux_2_28 manylinux_2_27 manylinux_2_26 manylinux_2_25 manylinux_2_24
  manylinux_2_17 manylinux2014 manylinux_2_12 manylinux2010 manylinux_2_5 manylinux1)

base_version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml" | head -1)
if [[ -z "${FOOTPRINT_VERSION:-}" ]]; then
  if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    FOOTPRINT_VERSION="$base_version-r$(git -C "$ROOT" rev-list --count HEAD)-g$(git -C "$ROOT" rev-parse --short HEAD)"
    [[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]] || FOOTPRINT_VERSION+="-dirty"
  else
    FOOTPRINT_VERSION="$base_version"
  fi
fi
NAME="footprint-$FOOTPRINT_VERSION"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/$NAME"
mkdir -p "$STAGE/wheels" "$STAGE/share" "$DIST"
t0=$SECONDS

# 1. The sources as committed or added (never build/, data/ or .venv/), to build the wheel from.
SRC="$WORK/src"
mkdir -p "$SRC"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
    tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$SRC"
else
  (cd "$ROOT" && tar --exclude=./.venv --exclude=./data --exclude=./dist -cf - .) | tar -xf - -C "$SRC"
fi

# 2. Every runtime wheel for the target (not this machine), and the tools to build a venv offline.
platform_args=()
for p in "${PLATFORMS[@]}"; do platform_args+=(--platform "${p}_x86_64"); done
echo "downloading wheels for CPython $PY_VERSION linux x86-64 …"
# A requirement published only as source (PyHive, pure-sasl) is built here into a wheel, which
# must be pure Python (py3-none-any) to suit the target; then the download is tried again.
for attempt in $(seq 1 10); do
  if "$PYTHON" -m pip download --quiet --disable-pip-version-check \
    -r "$SRC/requirements.txt" pip setuptools wheel \
    --only-binary=:all: "${platform_args[@]}" \
    --python-version "$PY_VERSION" --implementation cp --abi "cp${PY_VERSION/./}" \
    --find-links "$STAGE/wheels" -d "$STAGE/wheels" 2>"$WORK/pip.err"; then
    break
  fi
  missing="$(sed -n 's/.*No matching distribution found for \([^ ]*\).*/\1/p' "$WORK/pip.err" | head -1)"
  if [[ -z "$missing" || $attempt == 10 ]]; then
    grep -v "is ignored: it is neither" "$WORK/pip.err" >&2
    exit 1
  fi
  echo "  $missing has no wheel: building it from source"
  "$PYTHON" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$WORK/built" "$missing" \
    2> >(grep -v "is ignored: it is neither" >&2)
  for whl in "$WORK"/built/*.whl; do
    [[ "$whl" == *-py3-none-any.whl || "$whl" == *-py2.py3-none-any.whl ]] || {
      echo "build-bundle: $(basename "$whl") is not pure Python: it needs a wheel for the target" >&2
      exit 1
    }
    mv "$whl" "$STAGE/wheels/"
  done
done

# 3. Footprint itself as a wheel, built with the setuptools just downloaded (no index needed).
"$PYTHON" -m pip wheel --quiet --disable-pip-version-check --no-deps --no-index \
  --find-links "$STAGE/wheels" -w "$STAGE/wheels" "$SRC"
rm -rf "$SRC"/build "$SRC"/*.egg-info

# 4. What the installer lays out: the service files, the Streamlit settings, standards, mappings.
cp "$ROOT/packaging/install.sh" "$STAGE/install.sh"
chmod +x "$STAGE/install.sh"
mkdir -p "$STAGE/packaging" "$STAGE/app/.streamlit"
cp "$ROOT/packaging/footprint.service" "$ROOT/packaging/nginx-footprint.conf" \
  "$ROOT/packaging/footprint.env.example" "$ROOT/packaging/logrotate-footprint" "$STAGE/packaging/"
cp "$ROOT/.streamlit/config.toml" "$STAGE/app/.streamlit/config.toml"
cp "$ROOT/.streamlit/secrets.toml.example" "$STAGE/share/secrets.toml.example"
cp "$ROOT/metrics/standards.toml" "$STAGE/share/standards.toml"
# the import mapping files, wherever the import package keeps them
find "$ROOT/data_access" -path '*mapping*' -name '*.toml' -exec cp {} "$STAGE/share/" \; 2>/dev/null || true
cp "$ROOT/README.md" "$STAGE/README.md"
echo "$FOOTPRINT_VERSION" >"$STAGE/VERSION"
(cd "$STAGE/wheels" && ls *.whl >requirements.lock && sha256sum *.whl >SHA256SUMS)

# 5. One archive. Wheels are already compressed: a light gzip is as small and much faster.
OUT="$DIST/$NAME-linux-x86_64.tar.gz"
tar -C "$WORK" -cf - "$NAME" | gzip -1 >"$OUT.partial"
mv "$OUT.partial" "$OUT"
echo "bundle: $OUT ($(du -h "$OUT" | cut -f1), $(ls "$STAGE/wheels" | grep -c '\.whl$') wheels, $((SECONDS - t0)) s)"
