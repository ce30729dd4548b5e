"""The instance's Ed25519 feed-signing key pair: made at init, private half never served."""
from __future__ import annotations

import os

from content.manifest import generate_keypair

PRIVATE = "feed_key.pem"
PUBLIC = "feed_key.pub"


def ensure_keys(instance_path: str) -> None:
    """Create the key pair once (private file 0600)."""
    private_path = os.path.join(instance_path, PRIVATE)
    if os.path.exists(private_path):
        return
    private_pem, public_b64 = generate_keypair()
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_pem)
    with open(os.path.join(instance_path, PUBLIC), "w", encoding="ascii") as fh:
        fh.write(public_b64)


def load_keys(instance_path: str) -> tuple[bytes, str]:
    """(private PEM, public base64), creating them if the instance predates keys."""
    ensure_keys(instance_path)
    with open(os.path.join(instance_path, PRIVATE), "rb") as fh:
        private_pem = fh.read()
    with open(os.path.join(instance_path, PUBLIC), encoding="ascii") as fh:
        return private_pem, fh.read().strip()


def signing_key(app):
    """The app's private signing key object, loaded once."""
    key = app.extensions.get("gongkai.signing_key")
    if key is None:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
        private_pem, _ = load_keys(app.instance_path)
        key = app.extensions["gongkai.signing_key"] = load_pem_private_key(private_pem, password=None)
    return key
