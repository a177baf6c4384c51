"""Cost arithmetic: what licenses and idle seats cost, per currency. Pure: no I/O.

The one rule: a license's price is its organization's own price for the SKU if there is one,
else the default price; the SKU matches by skuId or part number, whatever the case.
Monthly cost = Active x price; monthly cost of unused seats = Unused x price; the annual
figures are twelve times the monthly ones. A license without a price has no cost (never 0)
and is counted apart; amounts in different currencies are never added together.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pandas as pd

from o365lic.export import guard_cell

__all__ = [
    "COSTS_CSV_HEADER",
    "COST_COLUMNS",
    "NO_PRICE",
    "apply_prices",
    "card_amount",
    "cost_totals",
    "costs_csv",
    "money",
    "unpriced_summary",
    "unused_cost_by_organization",
]

NO_PRICE = "no price"
COST_COLUMNS: tuple[str, ...] = ("currency", "monthly_price", "monthly_cost", "unused_monthly_cost",
                                 "annual_cost", "unused_annual_cost")
COSTS_CSV_HEADER: tuple[str, ...] = (
    "Organization", "Tenant ID", "License", "SKU", "Active", "Consumed", "Unused", "Currency",
    "Monthly Price", "Monthly Cost", "Unused Monthly Cost",
)


def _key(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip().lower()


def apply_prices(licenses: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """``licenses`` (organization, sku_id, sku_part_number, active, unused, ...) with the cost
    columns added: currency, monthly_price, monthly_cost, unused_monthly_cost, annual_cost,
    unused_annual_cost (all empty for a license with no price) and ``priced``.

    ``prices`` has the columns sku, currency, monthly_price, organization (None = default).
    """
    book: dict[tuple[str, str], tuple[str, float]] = {}
    for row in prices.itertuples(index=False):
        book[(_key(row.organization), _key(row.sku))] = (str(row.currency), float(row.monthly_price))
    found: list[tuple[str, float] | None] = []
    for row in licenses.itertuples(index=False):
        org = _key(row.organization)
        skus = [_key(row.sku_id), _key(row.sku_part_number)]
        match = next((book[(o, s)] for o in (org, "") for s in skus if s and (o, s) in book), None)
        found.append(match)
    out = licenses.copy()
    out["currency"] = pd.Series([m[0] if m else None for m in found], index=out.index, dtype=object)
    price = pd.Series([m[1] if m else math.nan for m in found], index=out.index, dtype="float64")
    out["monthly_price"] = price
    out["monthly_cost"] = out["active"].astype("float64") * price
    out["unused_monthly_cost"] = out["unused"].astype("float64") * price
    out["annual_cost"] = out["monthly_cost"] * 12
    out["unused_annual_cost"] = out["unused_monthly_cost"] * 12
    out["priced"] = price.notna()
    return out


def cost_totals(table: pd.DataFrame) -> pd.DataFrame:
    """Per currency (one row each, by currency): licenses, active, unused, monthly_cost,
    unused_monthly_cost, annual_cost, unused_annual_cost. Unpriced licenses are left out:
    see :func:`unpriced_summary`."""
    priced = table[table["priced"]] if len(table) else table
    columns = ["currency", "licenses", "active", "unused", "monthly_cost", "unused_monthly_cost",
               "annual_cost", "unused_annual_cost"]
    if priced.empty:
        return pd.DataFrame(columns=columns)
    grouped = priced.groupby("currency", sort=True).agg(
        licenses=("active", "size"), active=("active", "sum"), unused=("unused", "sum"),
        monthly_cost=("monthly_cost", "sum"), unused_monthly_cost=("unused_monthly_cost", "sum"),
    ).reset_index()
    grouped["annual_cost"] = grouped["monthly_cost"] * 12
    grouped["unused_annual_cost"] = grouped["unused_monthly_cost"] * 12
    return grouped[columns]


def unpriced_summary(table: pd.DataFrame) -> dict[str, int]:
    """The licenses with no price, counted apart: licenses, active and unused seats."""
    rest = table[~table["priced"]] if len(table) else table
    return {"licenses": len(rest), "active": int(rest["active"].sum()) if len(rest) else 0,
            "unused": int(rest["unused"].sum()) if len(rest) else 0}


def unused_cost_by_organization(table: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Per organization and currency: unused_monthly_cost and unused seats, costliest first
    within each currency; ``top`` keeps the first N of each currency."""
    columns = ["organization", "currency", "unused_monthly_cost", "unused_annual_cost", "unused"]
    priced = table[table["priced"]] if len(table) else table
    if priced.empty:
        return pd.DataFrame(columns=columns)
    grouped = priced.groupby(["currency", "organization"], sort=False).agg(
        unused_monthly_cost=("unused_monthly_cost", "sum"), unused=("unused", "sum")).reset_index()
    grouped["unused_annual_cost"] = grouped["unused_monthly_cost"] * 12
    grouped = grouped.sort_values(["currency", "unused_monthly_cost", "organization"],
                                  ascending=[True, False, True], ignore_index=True)
    if top is not None:
        grouped = grouped.groupby("currency", sort=False).head(top).reset_index(drop=True)
    return grouped[columns]


def money(amount: Any, currency: Any) -> str:
    """``USD 1,234.50``, or "no price" for a missing amount."""
    if amount is None or currency is None or (isinstance(amount, float) and math.isnan(amount)):
        return NO_PRICE
    return f"{currency} {float(amount):,.2f}"


def card_amount(amount: Any) -> str:
    """A headline card's amount: whole units with separators (``1,955``), the currency being in
    the card's label, so that a year's cost fits a narrow card; "no price" for a missing amount."""
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return NO_PRICE
    return f"{float(amount):,.0f}"


def _amount(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.2f}"


def _price(value: Any) -> str:
    """A unit price with two to four decimals (``36.00``, ``12.3456``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{float(value):.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def costs_csv(table: pd.DataFrame) -> str:
    """The cost CSV (``export --costs``) of a table from :func:`apply_prices`: unpriced cells
    are empty, text cells carry the formula guard of the plain export."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COSTS_CSV_HEADER)
    for row in table.itertuples(index=False):
        text = [guard_cell("" if _key(v) == "" else str(v)) for v in
                (row.organization, row.tenant_id, row.license_name, row.sku_part_number)]
        writer.writerow(text + [int(row.active), int(row.consumed), int(row.unused), row.currency or "",
                                _price(row.monthly_price), _amount(row.monthly_cost),
                                _amount(row.unused_monthly_cost)])
    return out.getvalue()
