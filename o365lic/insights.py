"""Money the data already shows: licenses to reclaim, overlapping licenses, per-SKU totals.

Readers take a :class:`~o365lic.reports.LicenseFilter` (or its parts) like
:mod:`o365lic.reports`: a license the viewer may not see is left out (and so is an overlap one
of whose licenses is hidden). Free and viral SKUs are left out by default: they cost nothing to
keep. The lists of users (reclaimable, overlapping) do not search: they take the filter's
organizations, free SKUs and viewer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Unpack

import pandas as pd

from o365lic import reports
from o365lic.card_totals import license_kind
from o365lic.overlaps import OVERLAPS
from o365lic.reports import FilterParts, LicenseFilter, chosen_filter
from o365lic.store import Store, visibility_clause

__all__ = [
    "OVERLAP_COLUMNS",
    "RECLAIMABLE_COLUMNS",
    "SKU_TOTAL_COLUMNS",
    "overlapping_licenses",
    "reclaimable_licenses",
    "sku_totals",
    "sku_totals_of",
]

RECLAIMABLE_COLUMNS = ["organization", "tenant_id", "user", "user_principal_name", "license_name",
                       "sku_part_number", "account_disabled", "asset_id"]
OVERLAP_COLUMNS = ["organization", "tenant_id", "user", "user_principal_name", "license_name",
                   "sku_part_number", "overlapping_license", "overlapping_sku", "reason"]
SKU_TOTAL_COLUMNS = ["license_name", "sku_part_number", "kind", "organizations", "active", "consumed",
                     "unused", "over_assigned", "licenses"]


def _scope(alias: str, chosen: LicenseFilter) -> tuple[str, list[Any]]:
    """A condition on one ``office365_licenses`` row (``alias``): visible to the viewer, in
    the chosen organizations, paid unless free SKUs are wanted (the search text is not used)."""
    clause, params = visibility_clause(chosen.viewer, f"{alias}.asset_id", f"{alias}.restricted")
    clauses = [clause]
    if chosen.organizations:
        clauses.append(f"{alias}.organization IN ({', '.join('?' * len(chosen.organizations))})")
        params.extend(chosen.organizations)
    if not chosen.include_free:
        clauses.append(f"NOT {alias}.is_free")
    return " AND ".join(clauses), params


def reclaimable_licenses(store: Store, chosen: LicenseFilter | None = None, /,
                         **parts: Unpack[FilterParts]) -> pd.DataFrame:
    """Licenses assigned to disabled accounts, one row per user and license (the count is the
    number of rows): organization, tenant_id, user, user_principal_name, license_name,
    sku_part_number, account_disabled (always True), asset_id."""
    where, params = _scope("l", chosen_filter(chosen, parts))
    return store.df(
        f"""
        SELECT l.organization, l.tenant_id, coalesce(c.display_name, c.user_principal_name) AS "user",
               c.user_principal_name, l.license_name, l.sku_part_number, TRUE AS account_disabled, l.asset_id
        FROM office365_licenses l
        JOIN flexible_asset_tags t ON t.flexible_asset_id = l.asset_id
        JOIN contacts c ON c.id = t.contact_id
        WHERE c.account_enabled = FALSE AND {where}
        ORDER BY lower(l.organization), lower(coalesce(c.display_name, c.user_principal_name)),
                 c.user_principal_name, lower(l.license_name), l.asset_id
        """,
        params,
    )


def overlapping_licenses(store: Store, chosen: LicenseFilter | None = None, /,
                         **parts: Unpack[FilterParts]) -> pd.DataFrame:
    """Users holding two paid licenses whose plans overlap (:data:`o365lic.overlaps.OVERLAPS`),
    one row per user and pair: organization, tenant_id, user, user_principal_name,
    license_name (the one that includes the other), sku_part_number, overlapping_license (usually
    money spent twice), overlapping_sku, reason. Free SKUs never overlap: the filter's
    ``include_free`` is not used."""
    paid = replace(chosen_filter(chosen, parts), include_free=False)
    keep_where, keep_params = _scope("k", paid)
    extra_where, extra_params = _scope("x", paid)
    pairs = ", ".join("(?, ?, ?)" for _ in OVERLAPS)
    pair_params: list[Any] = [v for o in OVERLAPS for v in (o.keep, o.extra, o.reason)]
    return store.df(
        f"""
        WITH pairs(keep, extra, reason) AS (VALUES {pairs})
        SELECT k.organization, k.tenant_id, coalesce(c.display_name, c.user_principal_name) AS "user",
               c.user_principal_name, k.license_name, k.sku_part_number,
               x.license_name AS overlapping_license, x.sku_part_number AS overlapping_sku, p.reason
        FROM pairs p
        JOIN office365_licenses k ON upper(k.sku_part_number) = p.keep
        JOIN flexible_asset_tags tk ON tk.flexible_asset_id = k.asset_id
        JOIN flexible_asset_tags tx ON tx.contact_id = tk.contact_id
        JOIN office365_licenses x ON x.asset_id = tx.flexible_asset_id AND upper(x.sku_part_number) = p.extra
        JOIN contacts c ON c.id = tk.contact_id
        WHERE {keep_where} AND {extra_where}
        ORDER BY lower(k.organization), lower(coalesce(c.display_name, c.user_principal_name)),
                 c.user_principal_name, k.sku_part_number, x.sku_part_number
        """,
        pair_params + keep_params + extra_params,
    )


def sku_totals_of(licenses: pd.DataFrame) -> pd.DataFrame:
    """Per SKU across organizations, from a license table as :func:`o365lic.reports.licenses`
    returns it: license_name, sku_part_number, kind (paid, free or trial: a SKU that is a trial
    in one tenant and paid in another has a row for each), organizations, active, consumed,
    unused, over_assigned, licenses. Paid SKUs first, most unused first."""
    if licenses.empty:
        return pd.DataFrame(columns=SKU_TOTAL_COLUMNS)
    frame = pd.DataFrame({
        "sku_id": licenses["sku_id"].astype(str),
        "license_name": licenses["license_name"].fillna(licenses["sku_part_number"]).astype(str),
        "sku_part_number": licenses["sku_part_number"].fillna("").astype(str),
        "kind": [license_kind(f, r if isinstance(r, str) else None)
                 for f, r in zip(licenses["is_free"], licenses["free_reason"])],
        "organization": licenses["organization"],
        "active": licenses["active"].fillna(0).astype("int64"),
        "consumed": licenses["consumed"].fillna(0).astype("int64"),
    })
    difference = frame["active"] - frame["consumed"]
    frame["unused"] = difference.clip(lower=0)
    frame["over_assigned"] = (-difference).clip(lower=0)
    grouped = frame.groupby(["sku_id", "kind"], as_index=False, sort=False).agg(
        license_name=("license_name", "first"), sku_part_number=("sku_part_number", "first"),
        organizations=("organization", "nunique"), active=("active", "sum"), consumed=("consumed", "sum"),
        unused=("unused", "sum"), over_assigned=("over_assigned", "sum"), licenses=("organization", "size"),
    )
    grouped["order"] = grouped["kind"].map({"paid": 0, "trial": 1, "free": 2})
    grouped["name_key"] = grouped["license_name"].str.lower()
    grouped = grouped.sort_values(["order", "unused", "name_key"], ascending=[True, False, True],
                                  ignore_index=True)
    return grouped[SKU_TOTAL_COLUMNS]


def sku_totals(store: Store, chosen: LicenseFilter | None = None, /, **parts: Unpack[FilterParts]) -> pd.DataFrame:
    """:func:`sku_totals_of` the licenses the viewer may see, filtered like
    :func:`o365lic.reports.licenses` (free and trial SKUs only with ``include_free``)."""
    return sku_totals_of(reports.licenses(store, chosen, **parts))
