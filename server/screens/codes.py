"""Short codes people read off a screen and type: pairing codes and screen codes."""
from __future__ import annotations

import secrets

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read from across a lobby


def new_code(length: int = 6) -> str:
    """A random code from the unambiguous alphabet."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
