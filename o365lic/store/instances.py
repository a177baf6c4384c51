"""The DuckDB instances this process keeps: one per database file, the file attached while used.

Starting a DuckDB instance costs ~20 ms, as much as a page's read, so the process keeps the
instance of a file it has used and attaches the file to it for the first connection; the last
connection to close detaches it, which checkpoints the file and releases its lock for other
processes. An idle instance holds ~4 MiB and 9 threads, so only the :data:`MAX_KEPT` files used
last keep theirs (one in the app and the CLI; many in a test run).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import duckdb

__all__ = ["MAX_KEPT", "attach", "release"]

log = logging.getLogger(__name__)

#: Instances kept without a connection using their file.
MAX_KEPT = 4

#: One lock for every instance: what it guards (creating a connection and attaching, closing one
#: and detaching, evicting) takes a few milliseconds.
_lock = threading.Lock()
#: Per file (its resolved path): the connection that keeps its instance alive, least recently used first.
_anchors: OrderedDict[str, duckdb.DuckDBPyConnection] = OrderedDict()
#: Per file: how many connections of this process use it (it is attached while this is above 0).
_users: dict[str, int] = {}


def _evict(keep: str | None = None) -> None:
    """Close the least recently used instances whose file no connection uses (``keep`` aside),
    down to MAX_KEPT."""
    for key in [k for k in _anchors if not _users.get(k) and k != keep]:
        if len(_anchors) <= MAX_KEPT:
            return
        _anchors.pop(key).close()


def attach(key: str, instance: str, temp_directory: str, attach_sql: str, alias: str) -> duckdb.DuckDBPyConnection:
    """A new connection to ``key``'s instance (started with ``temp_directory`` if need be), with
    the file attached by ``attach_sql`` as ``alias`` if no connection had it, and in use."""
    with _lock:
        anchor = _anchors.get(key)
        if anchor is None:
            anchor = duckdb.connect(instance, config={"temp_directory": temp_directory})
            _anchors[key] = anchor
            _evict(keep=key)
        _anchors.move_to_end(key)
        con = anchor.cursor()
        first = not _users.get(key)
        try:
            if first:
                con.execute(attach_sql)
            con.execute(f"USE {alias}")
        except BaseException:
            con.close()
            if first:  # no connection counts it: never leave the file attached (and locked)
                _detach(key, alias)
            raise
        _users[key] = _users.get(key, 0) + 1
        return con


def release(key: str, con: duckdb.DuckDBPyConnection, alias: str) -> None:
    """Close a connection of :func:`attach`; the last one of a file detaches it."""
    with _lock:
        con.close()
        if _users.get(key, 0) <= 0:  # not a connection of attach(): nothing to count
            return
        _users[key] -= 1
        if not _users[key]:
            _detach(key, alias)
            _evict()


def _detach(key: str, alias: str) -> None:
    """Detach the file (call with ``_lock`` held). A checkpoint that fails (a full disk) still
    detaches it, its commits kept in the WAL for the next attach: logged, not raised, as a
    commit that succeeded must not look failed; the instance is dropped all the same."""
    anchor = _anchors.get(key)
    if anchor is None:
        return
    try:
        anchor.execute(f"DETACH DATABASE IF EXISTS {alias}")
    except duckdb.Error as exc:
        log.warning("the database %s could not be checkpointed as it was closed (its changes stay in "
                    "its write-ahead log): %s", key, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        del _anchors[key]  # the file must not stay locked: closing the instance lets go of it
        anchor.close()
