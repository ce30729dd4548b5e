"""The address phones reach this server at — what every QR code holds (PUBLIC_BASE_URL).

Left unset, `run` and `demo` use this host's LAN address (its first non-loopback interface) with
the port they serve on, and print it: a default of http://127.0.0.1 sent every phone that scanned
a QR code to itself. A loopback address stays possible (set explicitly, or no network at all);
屏幕管理 then warns once screens report from other machines (server/admin/views_screens.py).
"""
from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
from urllib.parse import urlsplit

__all__ = ["DEFAULT", "base_url_for", "is_loopback_url", "lan_address", "local_url", "settle"]

DEFAULT = "http://127.0.0.1:8080"  # only for an app that neither run nor demo started (tests, CLI)
SIOCGIFFLAGS, SIOCGIFADDR, IFF_UP, IFF_LOOPBACK = 0x8913, 0x8915, 0x1, 0x8


def _interface(name: str) -> tuple[int, str | None]:
    """(flags, IPv4 address or None) of a network interface (Linux ioctls)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        packed = struct.pack("256s", name.encode()[:15])
        flags = struct.unpack("H", fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, packed)[16:18])[0]
        try:
            address = socket.inet_ntoa(fcntl.ioctl(sock.fileno(), SIOCGIFADDR, packed)[20:24])
        except OSError:  # up, but no IPv4 address
            address = None
    return flags, address


def lan_address(interfaces=None, inspect=_interface) -> str | None:
    """The IPv4 address of the first interface (in the kernel's order) that is up, not loopback,
    and has a usable address; None if there is none."""
    for _, name in (socket.if_nameindex() if interfaces is None else interfaces):
        try:
            flags, address = inspect(name)
        except OSError:
            continue
        if not flags & IFF_UP or flags & IFF_LOOPBACK or not address:
            continue
        ip = ipaddress.ip_address(address)
        if not (ip.is_loopback or ip.is_link_local or ip.is_unspecified):
            return address
    return None


def base_url_for(port: int, address: str | None = None) -> str:
    """http://<LAN address>:<port>, or the loopback address when this host has no network."""
    return f"http://{address or lan_address() or '127.0.0.1'}:{port}"


def is_loopback_url(url: str) -> bool:
    """Whether a URL's host is this machine only (127.0.0.0/8, ::1, localhost)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _wildcard(host: str) -> bool:
    return host in ("", "0.0.0.0", "::", "[::]")


def settle(config, host: str, port: int) -> list[str]:
    """Fix PUBLIC_BASE_URL for a server about to listen on host:port (derived when not set) and
    return what to print at start: where phones go, and why they might not get there."""
    derived = not config.get("PUBLIC_BASE_URL_SET")
    if derived:
        config["PUBLIC_BASE_URL"] = base_url_for(port)
    url = config["PUBLIC_BASE_URL"]
    lines = [f"QR codes send phones to {url}" + (" (this host's LAN address; set PUBLIC_BASE_URL to change it)"
                                                  if derived else " (PUBLIC_BASE_URL)")]
    if is_loopback_url(url):
        lines.append(f"warning: {url} is this machine only: a phone that scans a QR code cannot open it; "
                     "set PUBLIC_BASE_URL to an address phones can reach")
    elif derived and not _wildcard(host) and is_loopback_url(f"http://{host}/"):
        lines.append(f"warning: listening on {host} only, so phones cannot open {url}; use --host 0.0.0.0 "
                     "(or a reverse proxy and PUBLIC_BASE_URL)")
    return lines


def local_url(host: str, port: int) -> str:
    """How processes on this machine (the demo's screens) reach a server listening on host:port."""
    return f"http://{'127.0.0.1' if _wildcard(host) else host}:{port}"
