#!/usr/bin/env bash
# Install Footprint from this bundle on a machine with no network (run it from the unpacked bundle).
#
#   ./install.sh [--prefix DIR] [--data DIR] [--config DIR] [--log-dir DIR] [--user NAME] [--python EXE]
#   ./install.sh --rollback [--with-data] [--prefix DIR] …
#
# Layout (defaults): the code of each release in /opt/footprint/releases/VERSION (a venv built with
# `pip install --no-index` from the bundle's wheels), /opt/footprint/current -> the release in use,
# /opt/footprint/previous -> the one before; settings in /etc/footprint (footprint.env, never
# overwritten), data in /var/lib/footprint (the DuckDB file, backups/), logs in /var/log/footprint.
# An upgrade stops the service, backs up the embedded DuckDB file, runs the schema migrations,
# switches `current`, and starts the service again. --rollback switches back to `previous`
# (--with-data also restores the backup taken before the upgrade).
set -euo pipefail

BUNDLE="$(cd "$(dirname "$0")" && pwd -P)"
PREFIX=/opt/footprint
DATA=/var/lib/footprint
CONFIG=/etc/footprint
LOGDIR=/var/log/footprint
SERVICE_USER=footprint
PYTHON=""
ROLLBACK=0
WITH_DATA=0
SERVICE=footprint

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "install.sh: $*" >&2; exit 1; }
say() { printf '[%5ss] %s\n' "$SECONDS" "$*"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) PREFIX="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --config) CONFIG="$2"; shift 2 ;;
    --log-dir) LOGDIR="$2"; shift 2 ;;
    --user) SERVICE_USER="$2"; shift 2 ;;
    --python) PYTHON="$2"; shift 2 ;;
    --rollback) ROLLBACK=1; shift ;;
    --with-data) WITH_DATA=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
PREFIX="$(mkdir -p "$PREFIX" && cd "$PREFIX" && pwd -P)"
DATA="$(realpath -m "$DATA")" CONFIG="$(realpath -m "$CONFIG")" LOGDIR="$(realpath -m "$LOGDIR")"
# Only the release's own code may run: no module from the caller's folder or PYTHONPATH.
unset PYTHONPATH PYTHONHOME
cd /

# --- the service: stopped while the code or the database changes -------------------------------
service_active() { command -v systemctl >/dev/null && systemctl is-active --quiet "$SERVICE" 2>/dev/null; }
WAS_RUNNING=0
stop_service() {
  if service_active; then
    say "stopping the $SERVICE service"
    systemctl stop "$SERVICE"
    WAS_RUNNING=1
  fi
}
start_service() {
  if [[ $WAS_RUNNING == 1 ]]; then
    say "starting the $SERVICE service"
    systemctl start "$SERVICE"
  fi
}
as_service_user() {
  if [[ $(id -u) == 0 && "$SERVICE_USER" != root ]] && id "$SERVICE_USER" >/dev/null 2>&1; then
    runuser -u "$SERVICE_USER" -- "$@"
  else
    "$@"
  fi
}
switch_link() { # atomically point $PREFIX/$1 at $2
  ln -sfn "$2" "$PREFIX/.$1.new"
  mv -T "$PREFIX/.$1.new" "$PREFIX/$1"
}

# --- rollback -----------------------------------------------------------------------------------
if [[ $ROLLBACK == 1 ]]; then
  [[ -L "$PREFIX/previous" ]] || die "no previous release under $PREFIX to roll back to"
  cur="$(readlink "$PREFIX/current")"
  prev="$(readlink "$PREFIX/previous")"
  [[ -x "$PREFIX/$prev/bin/footprint" ]] || die "the previous release $PREFIX/$prev is incomplete"
  stop_service
  backup_file=""
  [[ -f "$PREFIX/$cur/.pre-upgrade-backup" ]] && backup_file="$(cat "$PREFIX/$cur/.pre-upgrade-backup")"
  if [[ $WITH_DATA == 1 ]]; then
    [[ -n "$backup_file" && -f "$backup_file" ]] || die "no backup taken before $cur was installed"
    say "restoring the data as it was before $(basename "$cur"): $backup_file"
    as_service_user "$PREFIX/$prev/bin/footprint-admin" restore --from "$backup_file" --force
  fi
  switch_link current "$prev"
  switch_link previous "$cur"
  start_service
  say "rolled back: current is $(basename "$prev") (was $(basename "$cur"))"
  if [[ $WITH_DATA == 0 && -n "$backup_file" ]]; then
    echo "The database keeps the schema changes of $(basename "$cur"). To return to the data as it"
    echo "was before that upgrade (losing what was written since), with the service stopped:"
    echo "  $PREFIX/current/bin/footprint-admin restore --from $backup_file --force"
  fi
  exit 0
fi

# --- checks -------------------------------------------------------------------------------------
[[ -f "$BUNDLE/VERSION" && -d "$BUNDLE/wheels" ]] || die "run install.sh from the unpacked bundle"
VERSION="$(cat "$BUNDLE/VERSION")"
if [[ -z "$PYTHON" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null; then PYTHON="$(command -v "$candidate")"; break; fi
  done
fi
[[ -n "$PYTHON" ]] || die "CPython 3.11 is required (python3.11 not found; pass --python EXE)"
pyver="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
[[ "$pyver" == 3.11 ]] || die "the bundle's wheels are for CPython 3.11; $PYTHON is $pyver (pass --python EXE)"
glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')"
if [[ -n "$glibc" ]] && ! printf '2.28\n%s\n' "$glibc" | sort -V -C; then
  die "glibc $glibc is older than 2.28, which the bundle's wheels need (RHEL/CentOS 8+, Kylin V10, UOS 20, Debian 10+, Ubuntu 20.04+)"
fi
say "installing Footprint $VERSION into $PREFIX (python $PYTHON, glibc ${glibc:-?})"

# --- the service user and folders ---------------------------------------------------------------
for dir in "$DATA" "$CONFIG" "$LOGDIR"; do
  existing="$dir"
  while [[ ! -e "$existing" ]]; do existing="$(dirname "$existing")"; done
  [[ -w "$existing" ]] || die "cannot write $dir: run as root, or pass --prefix/--data/--config/--log-dir"
done
if [[ $(id -u) == 0 && "$SERVICE_USER" != root ]] && ! id "$SERVICE_USER" >/dev/null 2>&1; then
  say "creating the system user $SERVICE_USER"
  useradd --system --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi
mkdir -p "$PREFIX/releases" "$DATA/backups" "$DATA/pycache" "$CONFIG" "$LOGDIR"
if [[ $(id -u) == 0 && "$SERVICE_USER" != root ]]; then
  chown "$SERVICE_USER:" "$DATA" "$DATA/backups" "$DATA/pycache" "$LOGDIR"
  chmod 750 "$DATA" "$LOGDIR"
fi

# --- the release: code and venv, built in place (a venv cannot be moved) -------------------------
REL="$PREFIX/releases/$VERSION"
if [[ -e "$REL/.complete" ]] && [[ "$(readlink -f "$PREFIX/current" 2>/dev/null)" == "$REL" ]]; then
  say "release $VERSION is already the current one: re-running the migrations only"
else
  rm -rf "$REL"
  mkdir -p "$REL/bin"
  cp -R "$BUNDLE/app/.streamlit" "$BUNDLE/packaging" "$BUNDLE/share" "$BUNDLE/VERSION" "$BUNDLE/README.md" \
    "$BUNDLE/install.sh" "$REL/"
  say "creating the Python environment (no network: --no-index)"
  "$PYTHON" -m venv --without-pip "$REL/venv"
  pip_wheel="$(ls "$BUNDLE"/wheels/pip-*.whl | head -1)"
  # pip runs from its own wheel to install itself; --isolated ignores any pip.conf and PIP_* here
  "$REL/venv/bin/python" "$pip_wheel/pip" install --isolated --quiet --no-index \
    --find-links "$BUNDLE/wheels" pip
  "$REL/venv/bin/python" -m pip install --isolated --quiet --no-index --no-compile \
    --find-links "$BUNDLE/wheels" "$BUNDLE"/wheels/*.whl
  for tool in footprint:dashboard footprint-admin:data_access; do
    name="${tool%%:*}" module="${tool#*:}" logline=""
    if [[ $name == footprint ]]; then # the server appends to its log file (any systemd version)
      logline='if [ -n "${FOOTPRINT_LOG_FILE:-}" ]; then exec >>"$FOOTPRINT_LOG_FILE" 2>&1; fi'
    fi
    cat >"$REL/bin/$name" <<EOF
#!/bin/sh
# python -m $module of this release, with the settings in $CONFIG/footprint.env
RELEASE="\$(cd "\$(dirname "\$0")/.." && pwd -P)"
unset PYTHONPATH PYTHONHOME
if [ -r "$CONFIG/footprint.env" ]; then set -a; . "$CONFIG/footprint.env"; set +a; fi
# bytecode goes to the data folder: the release folder stays read-only (and installs stay quick)
export PYTHONPYCACHEPREFIX="\${PYTHONPYCACHEPREFIX:-$DATA/pycache}"
cd "\$RELEASE"
$logline
exec "\$RELEASE/venv/bin/python" -m $module "\$@"
EOF
    chmod 755 "$REL/bin/$name"
  done
  touch "$REL/.complete"
fi

# --- settings: written once, then the IT desk's --------------------------------------------------
render() {
  sed -e "s#@PREFIX@#$PREFIX#g" -e "s#@DATA@#$DATA#g" -e "s#@CONFIG@#$CONFIG#g" \
    -e "s#@LOGDIR@#$LOGDIR#g" -e "s#@USER@#$SERVICE_USER#g" "$1"
}
if [[ ! -f "$CONFIG/footprint.env" ]]; then
  render "$BUNDLE/packaging/footprint.env.example" >"$CONFIG/footprint.env"
  chmod 640 "$CONFIG/footprint.env"
  [[ $(id -u) == 0 && "$SERVICE_USER" != root ]] && chgrp "$SERVICE_USER" "$CONFIG/footprint.env"
  say "wrote $CONFIG/footprint.env (database, address, port: edit it)"
fi
render "$BUNDLE/packaging/footprint.service" >"$CONFIG/footprint.service"
render "$BUNDLE/packaging/nginx-footprint.conf" >"$CONFIG/nginx-footprint.conf.example"
render "$BUNDLE/packaging/logrotate-footprint" >"$CONFIG/logrotate-footprint.example"
cp "$BUNDLE/share/standards.toml" "$CONFIG/standards.example.toml"

# --- the database: backed up, then migrated, with the service stopped ----------------------------
stop_service
set -a; . "$CONFIG/footprint.env"; set +a
url="${FOOTPRINT_DATABASE_URL:-}"
[[ -n "$url" ]] || die "FOOTPRINT_DATABASE_URL is empty in $CONFIG/footprint.env"
OLD="$(readlink "$PREFIX/current" 2>/dev/null || true)"
if [[ "$url" == duckdb:///* && -f "${url#duckdb:///}" && -n "$OLD" && "$PREFIX/$OLD" != "$REL" ]]; then
  backup_file="$DATA/backups/before-$VERSION-$(date -u +%Y%m%dT%H%M%SZ).fpbak"
  say "backing up the database before the upgrade: $backup_file"
  as_service_user "$REL/bin/footprint-admin" backup --to "$backup_file"
  echo "$backup_file" >"$REL/.pre-upgrade-backup"
fi
if "$REL/bin/footprint-admin" upgrade --help >/dev/null 2>&1; then
  say "running the schema migrations"
  as_service_user "$REL/bin/footprint-admin" upgrade
else # releases before the migrations existed: create the tables that are missing
  say "creating the schema (tables that are missing)"
  as_service_user "$REL/venv/bin/python" -c \
    "from data_access.engine import create_schema, make_engine; from data_access.settings import database_url; create_schema(make_engine(database_url()))"
fi

# --- switch -------------------------------------------------------------------------------------
if [[ -n "$OLD" && "$PREFIX/$OLD" != "$REL" ]]; then switch_link previous "$OLD"; fi
switch_link current "releases/$VERSION"
start_service
say "Footprint $VERSION installed: $PREFIX/current -> releases/$VERSION"
cat <<EOF

Next steps
  settings:   $CONFIG/footprint.env (database URL, address and port; Streamlit reads STREAMLIT_*)
  service:    cp $CONFIG/footprint.service /etc/systemd/system/ && systemctl daemon-reload
              systemctl enable --now $SERVICE      # logs: $LOGDIR/footprint.log
  by hand:    $PREFIX/current/bin/footprint           # the server, as the service runs it
  proxy:      $CONFIG/nginx-footprint.conf.example (WebSocket upgrade headers included)
  backup:     $PREFIX/current/bin/footprint-admin backup --to $DATA/backups/\$(date +%F).fpbak
  rollback:   $BUNDLE/install.sh --rollback --prefix $PREFIX
EOF
if "$REL/bin/footprint-admin" users --help >/dev/null 2>&1; then
  echo "  first admin: $PREFIX/current/bin/footprint-admin users create NAME --role admin   (asks the password)"
  "$REL/bin/footprint-admin" users create --help 2>/dev/null | sed -n '1,3s/^/               /p'
else
  echo "  first admin: this release has no sign-in yet: every visitor has the whole-bank scope"
fi
