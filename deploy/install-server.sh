#!/usr/bin/env bash
# Install the Gongkai content server on Debian 12 / Raspberry Pi OS (bookworm). Idempotent.
#   sudo deploy/install-server.sh [--postgres] [--public-url URL] [--destdir DIR]
# --postgres    also install PostgreSQL and point DATABASE_URL at a local database "gongkai"
# --public-url  the address phones use to reach this server — every QR code holds it, e.g.
#               https://gongkai.hospital.cn; asked for on a terminal, else derived from this host's
#               name (if it has a domain) or its LAN address; never a loopback address
# --destdir     put files under DIR only (no packages, users, services): for packaging and tests
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
DESTDIR=""
POSTGRES=0
PUBLIC_URL=""
usage() { echo "usage: $0 [--postgres] [--public-url URL] [--destdir DIR]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --destdir) [ $# -ge 2 ] || usage; DESTDIR=$(realpath -m "$2"); shift 2 ;;
        --postgres) POSTGRES=1; shift ;;
        --public-url) [ $# -ge 2 ] || usage; PUBLIC_URL=$2; shift 2 ;;
        *) usage ;;
    esac
done
system() { [ -z "$DESTDIR" ]; }
say() { printf '[install-server] %s\n' "$*"; }

derived_public_url() {
    # a name with a domain is most likely in DNS; otherwise the first non-loopback IPv4 address
    local name ip
    name=$(hostname -f 2>/dev/null || true)
    case "$name" in *.*) case "$name" in localhost*|*.localdomain|*.local) ;; *) echo "https://$name"; return ;; esac ;; esac
    ip=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' | grep -v '^127\.' | head -n1 || true)
    [ -n "$ip" ] && echo "https://$ip" || echo ""
}

check_public_url() {
    case "$1" in
        http://*|https://*) ;;
        *) echo "--public-url must start with https:// or http:// (got '$1')" >&2; exit 2 ;;
    esac
    local host=${1#*://}; host=${host%%/*}
    case "$host" in \[*) host=${host#[}; host=${host%%]*} ;; *) host=${host%:*} ;; esac
    case "$host" in
        ""|localhost|*.localhost|127.*|::1|0.0.0.0)
            echo "--public-url $1 is this machine only: a phone scanning a QR code could not open it" >&2; exit 2 ;;
    esac
}

if [ -z "$PUBLIC_URL" ]; then
    SUGGESTED=$(derived_public_url)
    if [ -t 0 ]; then
        read -r -p "Address phones use to reach this server (in every QR code) [${SUGGESTED:-none found}]: " PUBLIC_URL
    fi
    PUBLIC_URL=${PUBLIC_URL:-$SUGGESTED}
    [ -n "$PUBLIC_URL" ] || { echo "no public address found for this host: give --public-url" >&2; exit 2; }
fi
PUBLIC_URL=${PUBLIC_URL%/}
check_public_url "$PUBLIC_URL"
say "QR codes will send phones to $PUBLIC_URL"

if system; then
    [ "$(id -u)" -eq 0 ] || { echo "run as root (sudo)" >&2; exit 1; }
    say "Debian packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3 python3-venv nginx-light fonts-wqy-microhei rsync ca-certificates
    [ $POSTGRES -eq 1 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
    getent group gongkai >/dev/null || groupadd --system gongkai
    getent passwd gongkai >/dev/null || useradd --system --gid gongkai --home-dir /var/lib/gongkai \
        --shell /usr/sbin/nologin gongkai
fi

say "application into $DESTDIR/opt/gongkai"
install -d -m 0755 "$DESTDIR/opt/gongkai"
tar -C "$SRC" --exclude=.venv --exclude=.git --exclude=instance --exclude='__pycache__' \
    --exclude=tests/artifacts -cf - . | tar -C "$DESTDIR/opt/gongkai" -xf -
if system; then
    [ -x /opt/gongkai/.venv/bin/python ] || python3 -m venv /opt/gongkai/.venv
    /opt/gongkai/.venv/bin/pip install -q --upgrade pip
    /opt/gongkai/.venv/bin/pip install -q /opt/gongkai
fi

say "instance, backup and config folders"
install -d -m 0750 "$DESTDIR/var/lib/gongkai" "$DESTDIR/var/backups/gongkai" "$DESTDIR/etc/gongkai"
install -d -m 0700 "$DESTDIR/etc/gongkai/tls"
if [ ! -f "$DESTDIR/etc/gongkai/server.env" ]; then
    {
        echo "# Gongkai server settings (GONGKAI_<SETTING>=value); see README 'Settings'."
        echo "GONGKAI_PUBLIC_BASE_URL=$PUBLIC_URL"
        echo "GONGKAI_MEDIA_X_ACCEL=/_media/"
        echo "# nginx (deploy/nginx/gongkai.conf) is in front: believe its X-Forwarded-For and -Proto"
        echo "GONGKAI_TRUSTED_PROXIES=1"
        [ $POSTGRES -eq 1 ] && echo "GONGKAI_DATABASE_URL=postgresql+psycopg:///gongkai"
    } > "$DESTDIR/etc/gongkai/server.env"
    chmod 0640 "$DESTDIR/etc/gongkai/server.env"
else  # running again: only the public address may change, the other settings are the admin's
    sed -i "s|^GONGKAI_PUBLIC_BASE_URL=.*|GONGKAI_PUBLIC_BASE_URL=$PUBLIC_URL|" "$DESTDIR/etc/gongkai/server.env"
    grep -q '^GONGKAI_PUBLIC_BASE_URL=' "$DESTDIR/etc/gongkai/server.env" \
        || echo "GONGKAI_PUBLIC_BASE_URL=$PUBLIC_URL" >> "$DESTDIR/etc/gongkai/server.env"
fi
grep -q '^GONGKAI_TRUSTED_PROXIES=' "$DESTDIR/etc/gongkai/server.env" \
    || printf '%s\n' "# nginx is in front: believe its X-Forwarded-For and -Proto" "GONGKAI_TRUSTED_PROXIES=1" \
        >> "$DESTDIR/etc/gongkai/server.env"
if system; then
    chown -R gongkai:gongkai /var/lib/gongkai /var/backups/gongkai
    chgrp gongkai /etc/gongkai/server.env
    if [ $POSTGRES -eq 1 ]; then
        runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='gongkai'" | grep -q 1 \
            || runuser -u postgres -- createuser gongkai
        runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_database WHERE datname='gongkai'" | grep -q 1 \
            || runuser -u postgres -- createdb -O gongkai gongkai
    fi
fi

say "systemd units and nginx site"
install -d "$DESTDIR/etc/systemd/system" "$DESTDIR/etc/nginx/sites-available" "$DESTDIR/etc/nginx/sites-enabled"
install -m 0644 "$SRC"/deploy/systemd/gongkai-server.service "$SRC"/deploy/systemd/gongkai-backup.service \
    "$SRC"/deploy/systemd/gongkai-backup.timer "$DESTDIR/etc/systemd/system/"
install -m 0644 "$SRC/deploy/nginx/gongkai.conf" "$DESTDIR/etc/nginx/sites-available/gongkai"
ln -sfn ../sites-available/gongkai "$DESTDIR/etc/nginx/sites-enabled/gongkai"

if system; then
    if [ ! -f /etc/gongkai/tls/privkey.pem ]; then
        say "no TLS certificate yet: making a self-signed one (replace it with a real one)"
        PUBLIC_HOST=${PUBLIC_URL#*://}; PUBLIC_HOST=${PUBLIC_HOST%%/*}; PUBLIC_HOST=${PUBLIC_HOST%:*}
        openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$PUBLIC_HOST" \
            -keyout /etc/gongkai/tls/privkey.pem -out /etc/gongkai/tls/fullchain.pem 2>/dev/null
    fi
    rm -f /etc/nginx/sites-enabled/default
    nginx -t
    systemctl daemon-reload
    systemctl enable --now gongkai-server.service gongkai-backup.timer
    systemctl reload nginx
    say "done: create the first admin with"
    say "  sudo -u gongkai /opt/gongkai/.venv/bin/python -m server create-user NAME --roles admin --instance /var/lib/gongkai"
fi
