#!/bin/sh
# Install lsweb on a bare Debian 12 or Ubuntu 24.04 server, as docs/deployment.md describes: a user of
# its own, lsweb from the offline bundle, its settings, the systemd units, the nginx site and a
# certificate, then the database. Run as root from the unpacked bundle:
#
#   sudo LSWEB_SERVER_NAME=lsweb.school.example sh deploy/install.sh
#
# ROOT=/some/folder installs everything under that folder instead of / (CI tests this script so); the
# steps that need the running system (apt-get, systemctl) run only when ROOT is empty.
# Running it again is safe: it upgrades lsweb and keeps the settings, the certificate and the data.
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)    # the unpacked bundle (or a checkout with a bundle's wheels/)
ROOT=${ROOT:-}
PREFIX=/opt/lsweb                         # the program (a virtual environment)
STATE=/var/lib/lsweb                      # the instance folder: database, secret key, uploads, backups
say() { printf '== %s\n' "$*"; }

say "1. Debian packages: Python, nginx, OpenSSL"
if [ -z "$ROOT" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3 python3-venv nginx openssl ca-certificates >/dev/null
fi

say "2. The lsweb user (no login, no home outside $STATE)"
mkdir -p "$ROOT/etc"
if [ -n "$ROOT" ]; then
  for file in passwd group shadow gshadow; do [ -e "$ROOT/etc/$file" ] || cp "/etc/$file" "$ROOT/etc/$file"; done
  USERADD="useradd --prefix $ROOT"
else
  USERADD=useradd
fi
if ! grep -q '^lsweb:' "$ROOT/etc/passwd"; then
  $USERADD --system --user-group --home-dir "$STATE" --no-create-home --shell /usr/sbin/nologin lsweb
fi

say "3. lsweb into $PREFIX (offline: only the bundle's wheels)"
sh "$HERE/install.sh" "$ROOT$PREFIX"

say "4. Settings in /etc/lsweb/lsweb.env (kept if present)"
install -d -m 0750 "$ROOT/etc/lsweb"
[ -e "$ROOT/etc/lsweb/lsweb.env" ] || install -m 0640 "$HERE/deploy/systemd/lsweb.env" "$ROOT/etc/lsweb/lsweb.env"
chgrp -R lsweb "$ROOT/etc/lsweb" 2>/dev/null || true

say "5. systemd units: lsweb.service, the nightly backup and purge"
install -d "$ROOT/etc/systemd/system"
install -m 0644 "$HERE/deploy/systemd/lsweb.service" "$HERE/deploy/systemd/lsweb-maintenance.service" \
  "$HERE/deploy/systemd/lsweb-maintenance.timer" "$ROOT/etc/systemd/system/"

say "6. nginx site and a certificate"
NAME=${LSWEB_SERVER_NAME:-$(hostname -f 2>/dev/null || hostname)}   # the name staff type
install -d "$ROOT/etc/nginx/sites-available" "$ROOT/etc/nginx/sites-enabled" "$ROOT/etc/ssl/lsweb"
if [ ! -e "$ROOT/etc/nginx/sites-available/lsweb" ]; then
  sed "s/lsweb\.school\.example/$NAME/" "$HERE/deploy/nginx/lsweb.conf" >"$ROOT/etc/nginx/sites-available/lsweb"
fi
ln -sfn ../sites-available/lsweb "$ROOT/etc/nginx/sites-enabled/lsweb"
rm -f "$ROOT/etc/nginx/sites-enabled/default"
if [ ! -e "$ROOT/etc/ssl/lsweb/lsweb.crt" ]; then
  # A self-signed certificate to start with: replace it with the school's (same two file names).
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$NAME" \
    -addext "subjectAltName=DNS:$NAME" \
    -keyout "$ROOT/etc/ssl/lsweb/lsweb.key" -out "$ROOT/etc/ssl/lsweb/lsweb.crt" 2>/dev/null
  chmod 0600 "$ROOT/etc/ssl/lsweb/lsweb.key"
fi

say "7. The instance folder and the database"
install -d -m 0700 "$ROOT$STATE"
chown lsweb:lsweb "$ROOT$STATE" 2>/dev/null || true
if [ -z "$ROOT" ]; then
  (cd "$STATE" && runuser -u lsweb -- env LSWEB_INSTANCE_PATH="$STATE" "$PREFIX/bin/lsweb" init)
else
  (cd "$ROOT$STATE" && LSWEB_INSTANCE_PATH="$ROOT$STATE" "$ROOT$PREFIX/bin/lsweb" init)
fi

if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
  say "8. Start lsweb, the nightly timer, and reload nginx"
  systemctl daemon-reload
  systemctl enable --now lsweb.service lsweb-maintenance.timer
  systemctl restart lsweb.service    # an upgrade: the new version starts
  nginx -t && systemctl reload nginx
fi

say "Done. https://$NAME/ serves lsweb. Next, create the first admin:"
echo "   cd $STATE && sudo -u lsweb LSWEB_INSTANCE_PATH=$STATE $PREFIX/bin/lsweb create-admin"
