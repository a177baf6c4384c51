"""The SKU catalogue: Microsoft's product names and the free-SKU list.

Whether a license is free is decided by :func:`o365lic.licenses.free_reason` alone; saving
the list re-flags every license asset with that same rule, reading the trial facts from the
stored subscriptions (so an all-trial SKU stays "trial" whatever the list says).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

import duckdb
import pandas as pd

from o365lic.licenses import DEFAULT_FREE_SKUS, free_reason
from o365lic.store.audit import record_audit
from o365lic.store.database import Store

__all__ = [
    "all_trial_skus",
    "free_sku_list",
    "load_free_skus",
    "load_product_names",
    "product_names_loaded_at",
    "save_free_skus",
    "save_product_names",
]

_PART_NUMBER = re.compile(r"^[A-Z0-9_\-]{2,100}$")

#: (integration id, SKU id) of SKUs whose every stored subscription is a trial.
_ALL_TRIAL_SQL = """
SELECT integration_id, sku_id FROM subscriptions
GROUP BY integration_id, sku_id HAVING count(*) > 0 AND bool_and(coalesce(is_trial, FALSE))
"""


def load_product_names(store: Store) -> dict[str, str]:
    """SKU id -> product name, as loaded from Microsoft's reference file (may be empty)."""
    return {str(k): str(v) for k, v in store.rows("SELECT sku_id, name FROM product_names")}


def save_product_names(store: Store, names: Mapping[str, str]) -> None:
    """Replace the stored product names (SKU id -> Microsoft's display name)."""
    frame = pd.DataFrame({"sku_id": [k.lower() for k in names], "name": list(names.values())})
    with store.transaction() as con:
        con.execute("DELETE FROM product_names")
        con.register("names_frame", frame)
        try:
            con.execute("INSERT INTO product_names (sku_id, name, loaded_at) "
                        "SELECT sku_id, name, now() FROM names_frame")
        finally:
            con.unregister("names_frame")


def product_names_loaded_at(store: Store) -> datetime | None:
    """When the product names were last loaded, or None."""
    value = store.scalar("SELECT max(loaded_at) FROM product_names")
    return value if isinstance(value, datetime) else None


def load_free_skus(store: Store) -> set[str] | None:
    """The edited free-SKU list, or None while the default list applies."""
    if not store.scalar("SELECT count(*) FROM app_state WHERE key = 'free_skus_edited'"):
        return None
    return {str(r[0]) for r in store.rows("SELECT sku_part_number FROM free_skus")}


def free_sku_list(store: Store) -> list[str]:
    """The SKU part numbers counted as free: the edited list, else the default one."""
    edited = load_free_skus(store)
    return sorted(DEFAULT_FREE_SKUS if edited is None else edited, key=str.upper)


def all_trial_skus(store: Store) -> dict[int, frozenset[str]]:
    """Integration id -> the SKU ids whose every stored subscription is a trial."""
    found: dict[int, set[str]] = {}
    for integration_id, sku_id in store.rows(_ALL_TRIAL_SQL):
        found.setdefault(int(integration_id), set()).add(str(sku_id))
    return {k: frozenset(v) for k, v in found.items()}


def _reflag(con: duckdb.DuckDBPyConnection, listed: Iterable[str]) -> int:
    """Apply :func:`free_reason` to every license asset; returns how many changed."""
    free = list(listed)
    rows = con.execute(
        f"""
        SELECT a.id, coalesce(a.sku_part_number, ''), a.free_reason,
               coalesce(a.enabled_units, 0) + coalesce(a.warning_units, 0) + coalesce(a.suspended_units, 0)
               + coalesce(a.locked_out_units, 0),
               t.sku_id IS NOT NULL
        FROM flexible_assets a
        LEFT JOIN ({_ALL_TRIAL_SQL}) t ON t.integration_id = a.integration_id AND t.sku_id = a.sku_id
        WHERE a.sku_id IS NOT NULL
        """
    ).fetchall()
    changed = []
    for asset_id, part, before, units, trial in rows:
        # "tenant-wide" comes from the SKU's appliesTo, which only the sync sees: it stays
        reason = free_reason(part, int(units), free_skus=free, all_trial=bool(trial),
                             tenant_wide=before == "tenant-wide")
        if reason != before:
            changed.append((int(asset_id), reason))
    if changed:
        frame = pd.DataFrame(changed, columns=["id", "free_reason"]).astype({"free_reason": "string"})
        con.register("reflagged", frame)
        try:
            con.execute("UPDATE flexible_assets SET free_reason = r.free_reason, "
                        "is_free = r.free_reason IS NOT NULL FROM reflagged r WHERE flexible_assets.id = r.id")
        finally:
            con.unregister("reflagged")
    return len(changed)


def save_free_skus(store: Store, part_numbers: Iterable[str] | None, *, actor: str = "o365lic") -> int:
    """Replace the free-SKU list (None: back to the default list) and re-flag every license
    asset at once; returns how many assets changed. Tenant-wide SKUs, SKUs with 10,000+
    units and all-trial SKUs stay flagged whatever the list says."""
    chosen = None if part_numbers is None else sorted(
        {p.strip().upper() for p in part_numbers if p and p.strip()})
    if chosen is not None and any(not _PART_NUMBER.match(p) for p in chosen):
        bad = next(p for p in chosen if not _PART_NUMBER.match(p))
        raise ValueError(f"{bad!r} is not a SKU part number (letters, digits, _ and - only)")
    listed = sorted(DEFAULT_FREE_SKUS) if chosen is None else chosen
    with store.transaction() as con:
        con.execute("DELETE FROM free_skus")
        con.execute("DELETE FROM app_state WHERE key = 'free_skus_edited'")
        if chosen is not None:
            con.executemany("INSERT INTO free_skus (sku_part_number) VALUES (?)", [[p] for p in chosen])
            con.execute("INSERT INTO app_state (key, value) VALUES ('free_skus_edited', 'yes')")
        changed = _reflag(con, listed)
        detail = "reset to the default list" if chosen is None else ", ".join(chosen) or "(empty)"
        record_audit(con, actor, "free-SKU list", None, f"{detail}; {changed} licenses re-flagged")
    return changed
