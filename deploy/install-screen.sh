#!/usr/bin/env bash
# Install a Gongkai kiosk or signage screen on Debian 12 / Raspberry Pi OS (bookworm). Idempotent.
#   sudo deploy/install-screen.sh --kind kiosk|signage --server https://gongkai.example.org [--destdir DIR]
# The screen starts full-screen on tty1 under cage at boot and shows its pairing code until an
# administrator approves it under 屏幕管理.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
DESTDIR=""
KIND=""
SERVER=""
while [ $# -gt 0 ]; do
    case "$1" in
        --kind) KIND=$2; shift 2 ;;
        --server) SERVER=$2; shift 2 ;;
        --destdir) DESTDIR=$(realpath -m "$2"); shift 2 ;;
        *) echo "usage: $0 --kind kiosk|signage --server URL [--destdir DIR]" >&2; exit 2 ;;
    esac
done
case "$KIND" in kiosk|signage) ;; *) echo "--kind must be kiosk or signage" >&2; exit 2 ;; esac
case "$SERVER" in http://*|https://*) ;; *) echo "--server must be an http(s) URL" >&2; exit 2 ;; esac
system() { [ -z "$DESTDIR" ]; }
say() { printf '[install-screen] %s\n' "$*"; }

if system; then
    [ "$(id -u)" -eq 0 ] || { echo "run as root (sudo)" >&2; exit 1; }
    say "Debian packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3 python3-venv cage xwayland libgl1 libegl1 libmtdev1 fonts-noto-cjk fonts-wqy-microhei ca-certificates
    getent group gongkai-screen >/dev/null || groupadd --system gongkai-screen
    getent passwd gongkai-screen >/dev/null || useradd --system --gid gongkai-screen \
        --groups video,input,render --home-dir /var/lib/gongkai-screen --shell /usr/sbin/nologin gongkai-screen
fi

say "application into $DESTDIR/opt/gongkai"
install -d -m 0755 "$DESTDIR/opt/gongkai"
tar -C "$SRC" --exclude=.venv --exclude=.git --exclude=instance --exclude='__pycache__' \
    --exclude=tests/artifacts -cf - . | tar -C "$DESTDIR/opt/gongkai" -xf -
if system; then
    [ -x /opt/gongkai/.venv/bin/python ] || python3 -m venv /opt/gongkai/.venv
    /opt/gongkai/.venv/bin/pip install -q /opt/gongkai
fi

say "cache folder and settings"
install -d -m 0750 "$DESTDIR/var/lib/gongkai-screen" "$DESTDIR/etc/gongkai"
printf 'GONGKAI_SERVER=%s\n' "$SERVER" > "$DESTDIR/etc/gongkai/screen.env"
chmod 0644 "$DESTDIR/etc/gongkai/screen.env"
system && chown -R gongkai-screen:gongkai-screen /var/lib/gongkai-screen

say "systemd unit gongkai-$KIND"
install -d "$DESTDIR/etc/systemd/system"
install -m 0644 "$SRC/deploy/systemd/gongkai-$KIND.service" "$DESTDIR/etc/systemd/system/"
if system; then
    systemctl daemon-reload
    systemctl set-default graphical.target
    systemctl disable getty@tty1.service 2>/dev/null || true
    systemctl enable --now "gongkai-$KIND.service"
fi
