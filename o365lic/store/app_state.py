"""The application's one-time marks (the ``app_state`` table): things done once per database,
such as connecting the demo tenants, that must not be done again."""

from __future__ import annotations

from typing import Literal

import duckdb

from o365lic.store.database import Store

__all__ = ["AppFlag", "flag_is_set", "set_flag"]

#: The marks there are: the demo tenants connected once, the demo price list installed once,
#: the free-SKU list edited by a person (no longer the default list).
AppFlag = Literal["demo_seeded", "demo_prices", "free_skus_edited"]


def flag_is_set(target: Store | duckdb.DuckDBPyConnection, flag: AppFlag) -> bool:
    """True once ``flag`` has been set in this database."""
    sql, params = "SELECT count(*) FROM app_state WHERE key = ?", [flag]
    if isinstance(target, Store):
        return bool(target.scalar(sql, params))
    found = target.execute(sql, params).fetchone()
    return bool(found and found[0])


def set_flag(target: Store | duckdb.DuckDBPyConnection, flag: AppFlag) -> None:
    """Set ``flag`` (once: setting it again changes nothing); pass the open connection of a
    transaction to set it inside that transaction."""
    sql = "INSERT INTO app_state (key, value) SELECT ?, 'yes' WHERE NOT EXISTS (SELECT 1 FROM app_state WHERE key = ?)"
    if isinstance(target, Store):
        with target.transaction() as con:
            con.execute(sql, [flag, flag])
    else:
        target.execute(sql, [flag, flag])
