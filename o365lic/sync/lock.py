"""One sync per database at a time (a lock file beside it), and runs a dead sync left open."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from o365lic.store import (
    Store,
    StoreLocationError,
    StoreReadOnlyError,
    mark_interrupted_runs,
)

__all__ = ["SyncInProgressError", "is_sync_running", "recover_interrupted_runs", "sync_lock"]


class SyncInProgressError(RuntimeError):
    """Another sync of the same database is running."""


def _lock_path(db_path: Path) -> Path:
    return Path(f"{db_path}.sync.lock")


def _open_lock(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreLocationError(
            f"cannot create the sync lock {path} ({exc.strerror or type(exc).__name__}): the folder of the "
            "database must be writable for the user running the sync; set O365LIC_DB to a file in a "
            "writable folder") from None


@contextmanager
def sync_lock(db_path: Path) -> Iterator[None]:
    """Hold the database's sync lock, or raise :class:`SyncInProgressError` at once."""
    fd = _open_lock(_lock_path(Path(db_path)))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SyncInProgressError(
            "a sync is already running for this database; wait for it to finish"
        ) from None
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def is_sync_running(db_path: Path) -> bool:
    """True while some process holds the database's sync lock.

    A lock that cannot even be created (read-only folder) means no sync can run: False.
    """
    try:
        with sync_lock(db_path):
            return False
    except SyncInProgressError:
        return True
    except StoreLocationError:
        return False


def recover_interrupted_runs(store: Store) -> int:
    """Runs left "running" by a sync that was killed become errors ("interrupted"), so their
    tenants show ``Error`` instead of ``Syncing...``; returns how many. Does nothing while a
    sync holds the lock (its runs are really running). Cheap when there is nothing to do."""
    if not store.scalar("SELECT count(*) FROM sync_runs WHERE outcome = 'running'"):
        return 0
    try:
        with sync_lock(store.path):
            return mark_interrupted_runs(store)
    except (SyncInProgressError, StoreLocationError, StoreReadOnlyError):
        return 0
