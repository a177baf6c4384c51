"""The audit log: who changed what, and when.

Entries name their target in words (a tenant id, an organization's name) and hold no foreign
keys, so they outlive the data they describe: deleting an integration's data keeps its log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import duckdb
import pandas as pd

from o365lic.store.database import Store
from o365lic.text import clean_name

__all__ = ["AuditAction", "audit_log", "record_audit", "record_audits"]

AuditAction = Literal[
    "connect",
    "match",
    "disconnect (keep data)",
    "disconnect (delete data)",
    "pause",
    "resume",
    "interval",
    "sync settings",
    "free-SKU list",
    "security settings",
    "role",
    "group",
    "prices",
    "alert settings",
]


def record_audit(
    target: Store | duckdb.DuckDBPyConnection,
    actor: str,
    action: AuditAction,
    subject: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one entry; pass the open connection of a transaction to log inside it."""
    if isinstance(target, Store):
        with target.transaction() as con:
            record_audits(con, actor, action, [(subject, detail)])
    else:
        record_audits(target, actor, action, [(subject, detail)])


def record_audits(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    action: AuditAction,
    entries: Sequence[tuple[str | None, str | None]],
) -> None:
    """Append one entry per (subject, detail), in that order, with one statement (inside the
    caller's transaction); each entry is cleaned as :func:`record_audit` cleans one."""
    if not entries:
        return
    con.execute(
        "INSERT INTO audit_log (actor, action, target, detail) SELECT ?, ?, target, detail FROM "
        "(SELECT unnest(?::VARCHAR[]) AS target, unnest(?::VARCHAR[]) AS detail, unnest(range(?)) AS k) ORDER BY k",
        [clean_name(actor) or "unknown", action, [clean_name(s) or None for s, _ in entries],
         [clean_name(d, 1000) or None for _, d in entries], len(entries)],
    )


def audit_log(store: Store, limit: int = 500) -> pd.DataFrame:
    """The newest entries first: When, Who, Action, Target, Detail."""
    return store.df(
        "SELECT happened_at AS \"When\", actor AS \"Who\", action AS \"Action\", "
        "target AS \"Target\", detail AS \"Detail\" FROM audit_log "
        "ORDER BY happened_at DESC, id DESC LIMIT ?",
        [int(limit)],
    )
