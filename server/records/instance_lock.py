"""The lock a running server holds on its instance folder, so `restore` can refuse an instance in
use: every server process (gunicorn's master and workers, `demo`, `ingest`) holds a shared flock on
`<instance>/server.lock` for its whole life; `restore` takes it exclusively without waiting, and
holds it while it writes, so a server started meanwhile refuses to start. The kernel releases the
lock when a process dies however it dies. (It guards one machine's instance folder: a PostgreSQL
database shared with servers elsewhere is not covered.)"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager

LOCK_NAME = "server.lock"
_held: list[int] = []   # shared locks of this process, kept open until it exits


class InstanceBusy(Exception):
    """The lock is held the other way: a server runs (for restore) or a restore runs (for a server)."""


def _open(instance_path: str) -> int:
    os.makedirs(instance_path, exist_ok=True)
    return os.open(os.path.join(instance_path, LOCK_NAME),
                   os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)


def _shared(instance_path: str) -> int:
    fd = _open(instance_path)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InstanceBusy(f"a restore is running on {instance_path}; start again when it is done") from None
    return fd


def hold_shared(instance_path: str) -> None:
    """Mark this process as using the instance until it exits; InstanceBusy during a restore."""
    _held.append(_shared(instance_path))


@contextmanager
def shared(instance_path: str):
    """Use the instance for the length of a command (`ingest --once`)."""
    fd = _shared(instance_path)
    try:
        yield
    finally:
        os.close(fd)


@contextmanager
def exclusive(instance_path: str):
    """Hold the instance for a restore; InstanceBusy (at once) while any server uses it."""
    fd = _open(instance_path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InstanceBusy(f"a server (or ingest) is using {instance_path} ({LOCK_NAME} is held): "
                               "stop it before restoring, or its later writes would be lost") from None
        yield
    finally:
        os.close(fd)
