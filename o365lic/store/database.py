"""Opening the DuckDB file: open, work, close; retry briefly on another process's lock.

A cron sync in another process may hold the file. Every operation opens a connection,
does its work and closes it, so the app and the CLI take turns (a sync too: it opens the
file for each group commit and lets go). Writes go through :meth:`Store.transaction`, which
commits on success and rolls back on any error; within a process, writers take turns on a
lock (DuckDB transactions are optimistic).

The file is attached to a named in-memory DuckDB instance with small row groups (see
:data:`ROW_GROUP_SIZE`): code in this process opens it through :class:`Store` only; a direct
``duckdb.connect(path)`` while a store holds it fails ("Unique file handle conflict"). The
process keeps that instance (:mod:`.instances`): the file is attached while a connection is open
and detached (checkpointed, its lock released) when the last one closes.

A file that cannot be used raises a :class:`StoreError` subclass whose message says what to
do: damaged (:class:`StoreCorruptError`), a location that cannot hold it
(:class:`StoreLocationError`), busy (:class:`StoreBusyError`). A database file that may be
read but not written is opened read-only: reads work, writes raise :class:`StoreReadOnlyError`.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from o365lic.store import instances
from o365lic.store.schema import migrate

__all__ = ["ROW_GROUP_SIZE", "Store", "StoreBusyError", "StoreCorruptError", "StoreError", "StoreLocationError",
           "StoreReadOnlyError"]


class StoreError(RuntimeError):
    """The database could not be used; the message says why."""


class StoreBusyError(StoreError):
    """Another program holds the database file."""


class StoreCorruptError(StoreError):
    """The database file is damaged (truncated) or is not an o365lic database."""


class StoreLocationError(StoreError):
    """The database (or its sync lock) cannot be created where it is configured."""


class StoreReadOnlyError(StoreError):
    """The database file can be read but not written."""


_CORRUPT_MARKERS = ("not a valid DuckDB database", "Could not read enough bytes", "Corrupt",
                    "corrupt", "checksum", "Checksum", "Serialization", "deserialize")
_READ_ONLY_MARKERS = ("Permission denied", "Operation not permitted", "Read-only file system",
                      "read-only")


def _corrupt(path: Path, exc: BaseException) -> StoreCorruptError:
    first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return StoreCorruptError(
        f"the database file {path} is damaged or is not an o365lic database ({first}); restore it "
        "from a backup, or move it aside to start with an empty database")


def _read_only(path: Path) -> StoreReadOnlyError:
    return StoreReadOnlyError(
        f"the database file {path} is read-only: it can be viewed and exported, but nothing can be "
        "changed or synced; make the file writable for the user running o365lic")


def _location(path: Path, exc: OSError) -> StoreLocationError:
    reason = exc.strerror or type(exc).__name__
    return StoreLocationError(
        f"cannot keep the database at {path}: its folder {path.parent} cannot be created or written "
        f"({reason}); set O365LIC_DB to a file in a writable folder")


#: Rows per row group of what o365lic writes (DuckDB's default is 122,880). Each commit of a
#: sync's group of tenants starts new row groups, and a checkpoint merges small ones up to this
#: size, holding what it merges in memory: at the default size that cost ~80 MiB at 500 tenants
#: × 300 users and ~145 MiB at 5,000 (bench/RESULTS.md, "Memory"). At 16,384 (about one
#: group's users) a merge costs a few MiB and the peak no longer grows with the tenant count.
ROW_GROUP_SIZE = 16_384
#: The file's name in the process's DuckDB instance (see :meth:`Store._connect_file`).
_ALIAS = "o365lic"

_write_locks: dict[str, threading.RLock] = {}
#: Opening and closing one file's connections take turns within a process (the read-only
#: connections too, which are their own DuckDB instances; :mod:`.instances` serialises the rest).
_open_locks: dict[str, threading.Lock] = {}
_migrated: set[str] = set()
_registry_lock = threading.Lock()
_PID = re.compile(r"\(PID (\d+)\)")
#: The longest wait between two tries to open a file another process holds: a sync lets go of it
#: between group commits, and a try costs ~1 ms, so try often enough to use the time it is free.
_RETRY_CAP_SECONDS = 0.05


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


class Store:
    """The o365lic database at ``path``: schema on first open, short-lived connections."""

    def __init__(self, path: str | Path, *, lock_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        key = str(self.path.resolve())
        with _registry_lock:
            self._write_lock = _write_locks.setdefault(key, threading.RLock())
            self._open_lock = _open_locks.setdefault(key, threading.Lock())
        self._key = key
        # One named in-memory DuckDB instance per file and process, shared by every connection
        # of the process (as duckdb.connect(path) shares the file's instance).
        self._instance = ":memory:o365lic-" + hashlib.sha256(key.encode()).hexdigest()[:16]
        self._local = threading.local()
        self._hold_lock = threading.Lock()
        self._held: duckdb.DuckDBPyConnection | None = None
        self._held_count = 0
        self._read_only_ids: set[int] = set()

    @property
    def read_only(self) -> bool:
        """True when this thread's last open found the file read-only (reads work, writes
        raise); the next open that gets the file read-write clears it."""
        return bool(getattr(self._local, "opened_read_only", False))

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Keep the database open for a batch of work (a sync).

        Opening a DuckDB file that nothing in this process holds costs an attach, and closing
        it a checkpoint (~3 ms together on a small change); while one connection is held, every
        :meth:`connect` from any thread skips both. Other processes wait for the lock
        meanwhile, so hold only for a batch.
        """
        with self._hold_lock:
            if self._held is None:
                self._held = self._open()
            self._held_count += 1
        try:
            yield
        finally:
            with self._hold_lock:
                self._held_count -= 1
                if self._held_count == 0 and self._held is not None:
                    held, self._held = self._held, None
                    self._close(held)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def _open(self) -> duckdb.DuckDBPyConnection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _location(self.path, exc) from None
        if self.path.is_dir():
            raise StoreLocationError(
                f"cannot keep the database at {self.path}: it is a folder; set O365LIC_DB to a file path")
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.01
        while True:
            try:
                with self._open_lock:
                    con = self._connect_file()
                break
            except duckdb.IOException as exc:
                text = str(exc)
                if any(m in text for m in _CORRUPT_MARKERS):
                    raise _corrupt(self.path, exc) from None
                # The lock first: a lock held by a read-only reader comes with DuckDB's advice to
                # open the file "in read-only mode"; it is a busy file, not a read-only one.
                if not _is_lock_error(exc):
                    if any(m in text for m in _READ_ONLY_MARKERS):
                        return self._open_read_only()
                    raise StoreError(f"cannot open the database {self.path}: {text.splitlines()[0]}") from None
                if time.monotonic() >= deadline:
                    pid = _PID.search(str(exc))
                    holder = f" (process {pid.group(1)})" if pid else ""
                    raise StoreBusyError(
                        f"the database {self.path} is in use by another program{holder}; "
                        "a sync may be running from the command line. Try again when it has finished."
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, _RETRY_CAP_SECONDS)
            except duckdb.Error as exc:
                if any(m in str(exc) for m in _CORRUPT_MARKERS):
                    raise _corrupt(self.path, exc) from None
                raise StoreError(f"cannot open the database {self.path}: {str(exc).splitlines()[0]}") from None
        self._local.opened_read_only = False
        if self._key not in _migrated:
            with self._write_lock:
                try:
                    migrate(con)
                except duckdb.Error as exc:
                    self._close(con)
                    raise _corrupt(self.path, exc) from None
                except BaseException:
                    self._close(con)
                    raise
                _migrated.add(self._key)
        return con

    def _connect_file(self) -> duckdb.DuckDBPyConnection:
        """A read-write connection whose default database is the file, attached with
        :data:`ROW_GROUP_SIZE` (a setting of the attach, not of the file) to the process's
        instance for it (:mod:`.instances`) by the first connection, detached at the last close."""
        path = self._key.replace("'", "''")  # resolved: a later chdir cannot point it elsewhere
        # DuckDB spills to "<file>.tmp" beside a file it opens by path; an in-memory instance
        # would spill into the working folder (a cron job's may not be writable): keep it beside.
        return instances.attach(
            self._key, self._instance, f"{self._key}.tmp",
            f"ATTACH IF NOT EXISTS '{path}' AS {_ALIAS} (ROW_GROUP_SIZE {ROW_GROUP_SIZE})", _ALIAS)

    def _close(self, con: duckdb.DuckDBPyConnection) -> None:
        """Close a connection; the last one of :meth:`_connect_file` detaches the file, which
        checkpoints it and lets other processes have it."""
        with self._open_lock:
            if id(con) in self._read_only_ids:  # its own instance (see _open_read_only)
                self._read_only_ids.discard(id(con))
                con.close()
                return
            instances.release(self._key, con, _ALIAS)

    def _open_read_only(self) -> duckdb.DuckDBPyConnection:
        """The file may be read but not written: open it read-only (no migration possible)."""
        if not self.path.exists():  # nothing to read: the folder refuses a new file
            raise StoreLocationError(
                f"cannot create the database {self.path}: the folder {self.path.parent} is not writable "
                "(Permission denied); set O365LIC_DB to a file in a writable folder")
        try:
            with self._open_lock:
                con = duckdb.connect(str(self.path), read_only=True)
                self._read_only_ids.add(id(con))
        except duckdb.Error as exc:
            if any(m in str(exc) for m in _CORRUPT_MARKERS):
                raise _corrupt(self.path, exc) from None
            raise _read_only(self.path) from None
        self._local.opened_read_only = True
        return con

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for reads (or a caller-managed write); closed afterwards.

        Nested use in one thread reuses the outer connection.
        """
        outer: duckdb.DuckDBPyConnection | None = getattr(self._local, "con", None)
        if outer is not None:
            yield outer
            return
        con = self._open()
        self._local.con = con
        try:
            yield con
        finally:
            self._local.con = None
            self._close(con)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction: committed when the block ends, rolled back on any error."""
        with self._write_lock, self.connect() as con:
            if getattr(self._local, "in_transaction", False):
                yield con
                return
            if self.read_only:  # this thread's connection
                raise _read_only(self.path)
            con.execute("BEGIN TRANSACTION")
            self._local.in_transaction = True
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            else:
                con.execute("COMMIT")
            finally:
                self._local.in_transaction = False

    def df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """The result of a read query as a DataFrame."""
        with self.connect() as con:
            return con.execute(sql, params or []).df()

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows of a read query."""
        with self.connect() as con:
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        with self.connect() as con:
            row = con.execute(sql, params or []).fetchone()
        return row[0] if row else None
