"""The price list: a monthly price per seat of a SKU, optionally for one organization.

A SKU is named by its part number (``SPE_E3``) or its skuId (a GUID), compared without regard
to case. A row with no organization is the default price; an organization's own row wins over
it (see :func:`o365lic.costs.apply_prices`). One row per SKU and organization: saving a price
replaces the row of the same SKU and organization and leaves the others.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import duckdb
import pandas as pd

from o365lic.export import guard_cell
from o365lic.store.audit import record_audit
from o365lic.store.database import Store
from o365lic.text import clean_name

__all__ = [
    "DEMO_PRICES",
    "PRICE_CSV_HEADER",
    "PriceError",
    "PriceImport",
    "import_prices",
    "install_demo_prices",
    "price_list",
    "price_list_csv",
    "price_text",
    "save_price_list",
    "set_price",
]

PRICE_CSV_HEADER: tuple[str, ...] = ("sku", "currency", "monthly_price", "organization")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MAX_PRICE = Decimal(1000000)

#: The demo's example list prices (USD per seat per month); EMS is left unpriced on purpose,
#: so that the demo shows a license with "no price".
DEMO_PRICES: tuple[tuple[str, str, str], ...] = (
    ("SPE_E3", "USD", "36.00"), ("SPE_E5", "USD", "57.00"), ("SPB", "USD", "22.00"),
    ("O365_BUSINESS_PREMIUM", "USD", "22.00"), ("O365_BUSINESS_ESSENTIALS", "USD", "6.00"),
    ("ENTERPRISEPACK", "USD", "23.00"), ("EXCHANGESTANDARD", "USD", "4.00"),
    ("VISIOCLIENT", "USD", "15.00"), ("PROJECTPROFESSIONAL", "USD", "30.00"),
    ("POWER_BI_PRO", "USD", "14.00"),
)
#: One organization of the demo is billed in euros at its own prices.
DEMO_ORGANIZATION_PRICES: tuple[tuple[str, str, str, str], ...] = (
    ("Fabrikam", "SPE_E3", "EUR", "33.60"), ("Fabrikam", "EXCHANGESTANDARD", "EUR", "3.70"),
    ("Fabrikam", "SPB", "EUR", "20.60"), ("Fabrikam", "O365_BUSINESS_PREMIUM", "EUR", "20.60"),
)


class PriceError(ValueError):
    """A price the list cannot hold; the message says which and why."""


@dataclass
class PriceImport:
    """What ``prices import`` did: how many rows were saved, and each refused row by line."""

    saved: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _organization_id(con: duckdb.DuckDBPyConnection, name: str | None) -> int | None:
    clean = " ".join((name or "").split())
    if not clean:
        return None
    row = con.execute(
        "SELECT id FROM organizations WHERE lower(name) = lower(?) ORDER BY id LIMIT 1", [clean]).fetchone()
    if not row:
        raise PriceError(f"no organization named {clean!r}")
    return int(row[0])


def _checked(sku: object, currency: object, monthly_price: object) -> tuple[str, str, Decimal]:
    """The SKU, currency and price of one row, or PriceError naming what is wrong."""
    sku_text = clean_name(str(sku or "")).strip()
    if not sku_text:
        raise PriceError("the SKU is empty (give a part number such as SPE_E3 or a skuId)")
    cur = str(currency or "").strip().upper()
    if not _CURRENCY.match(cur):
        raise PriceError(f"the currency {str(currency or '')!r} is not a three-letter code such as USD or EUR")
    raw = str(monthly_price if monthly_price is not None else "").strip()
    try:
        price = Decimal(raw)
    except InvalidOperation:
        raise PriceError(f"the monthly price {raw!r} is not a number (write it like 12.50)") from None
    if not price.is_finite() or price < 0 or price >= _MAX_PRICE:
        raise PriceError(f"the monthly price {raw!r} must be a number from 0 to 999999.99")
    if price != price.quantize(Decimal("0.0001")):
        raise PriceError(f"the monthly price {raw!r} has more than four decimals")
    return sku_text, cur, price


def _save(con: duckdb.DuckDBPyConnection, sku: str, org_id: int | None, currency: str, price: Decimal) -> None:
    con.execute("DELETE FROM price_list WHERE lower(sku) = lower(?) AND organization_id IS NOT DISTINCT FROM ?",
                [sku, org_id])
    con.execute("INSERT INTO price_list (sku, organization_id, currency, monthly_price) VALUES (?, ?, ?, ?)",
                [sku, org_id, currency, price])


def set_price(
    store: Store, sku: str, currency: str, monthly_price: object, organization: str | None = None,
    *, actor: str = "cli",
) -> None:
    """Save one price (replacing the same SKU and organization's); PriceError if it is bad."""
    checked = _checked(sku, currency, monthly_price)
    with store.transaction() as con:
        _save(con, checked[0], _organization_id(con, organization), checked[1], checked[2])
        record_audit(con, actor, "prices", checked[0], f"{checked[1]} {checked[2]}"
                     + (f" for {organization}" if organization else ""))


def import_prices(store: Store, text: str, *, actor: str = "cli") -> PriceImport:
    """Save the good rows of a CSV (``sku,currency,monthly_price[,organization]``); the bad
    ones are reported by line number. A file without that header is refused whole."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise PriceError("the file is empty; its first line must be sku,currency,monthly_price") from None
    missing = [name for name in PRICE_CSV_HEADER[:3] if name not in header]
    if missing:
        raise PriceError("the first line must be the header sku,currency,monthly_price[,organization] "
                         f"(missing: {', '.join(missing)})")
    where = {name: header.index(name) for name in PRICE_CSV_HEADER if name in header}
    report = PriceImport()
    with store.transaction() as con:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                report.errors.append((reader.line_num, f"unreadable CSV: {exc}"))
                break
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            values = {name: (row[i] if i < len(row) else "") for name, i in where.items()}
            try:
                sku, currency, price = _checked(values["sku"], values["currency"], values["monthly_price"])
                org_id = _organization_id(con, values.get("organization"))
            except PriceError as exc:
                report.errors.append((line, str(exc)))
                continue
            _save(con, sku, org_id, currency, price)
            report.saved += 1
        if report.saved:
            record_audit(con, actor, "prices", "price list", f"{report.saved} prices imported")
    return report


def save_price_list(store: Store, rows: pd.DataFrame, *, actor: str) -> int:
    """Replace the whole list with ``rows`` (columns sku, currency, monthly_price, organization),
    as the Settings page's editor gives it; all or nothing: PriceError lists every bad row."""
    problems: list[str] = []
    with store.transaction() as con:
        con.execute("DELETE FROM price_list")
        seen: set[tuple[str, int | None]] = set()
        for number, row in enumerate(rows.to_dict("records"), start=1):
            if all(v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""
                   for v in row.values()):
                continue
            try:
                sku, currency, price = _checked(row.get("sku"), row.get("currency"), row.get("monthly_price"))
                org = row.get("organization")
                org_id = _organization_id(con, None if org is None or (isinstance(org, float) and math.isnan(org))
                                          else str(org))
            except PriceError as exc:
                problems.append(f"row {number}: {exc}")
                continue
            if (sku.lower(), org_id) in seen:
                problems.append(f"row {number}: {sku} is listed twice for the same organization")
                continue
            seen.add((sku.lower(), org_id))
            _save(con, sku, org_id, currency, price)
        if problems:
            raise PriceError("; ".join(problems))
        record_audit(con, actor, "prices", "price list", f"{len(seen)} prices saved")
    return len(seen)


def price_list(store: Store) -> pd.DataFrame:
    """The list: sku, currency, monthly_price (float), organization (None = the default price)."""
    frame = store.df(
        """SELECT p.sku, p.currency, p.monthly_price::DOUBLE AS monthly_price, o.name AS organization
           FROM price_list p LEFT JOIN organizations o ON o.id = p.organization_id
           ORDER BY lower(p.sku), o.name NULLS FIRST""")
    frame["organization"] = frame["organization"].astype(object).where(frame["organization"].notna(), None)
    return frame


def price_text(value: object) -> str:
    """A price as text with at least two decimals (``36.00``, ``12.3456``)."""
    amount = Decimal(str(value)).quantize(Decimal("0.0001")).normalize()
    if amount.as_tuple().exponent > -2:  # type: ignore[operator]
        amount = amount.quantize(Decimal("0.01"))
    return f"{amount:f}"


def price_list_csv(prices: pd.DataFrame) -> str:
    """The list as CSV with the import header, so that the output imports back unchanged."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PRICE_CSV_HEADER)
    for row in prices.itertuples(index=False):
        writer.writerow([guard_cell(row.sku), row.currency, price_text(row.monthly_price),
                         guard_cell(row.organization or "")])
    return out.getvalue()


def install_demo_prices(store: Store, extra: Iterable[tuple[str, str, str, str]] = DEMO_ORGANIZATION_PRICES) -> int:
    """Install the demo's example prices once, into a list that has never held any: a user's
    prices are never overwritten, and a list emptied on purpose stays empty. Returns the count."""
    with store.transaction() as con:
        done = con.execute("SELECT count(*) FROM app_state WHERE key = 'demo_prices'").fetchone()
        held = con.execute("SELECT count(*) FROM price_list").fetchone()
        if (done and done[0]) or (held and held[0]):
            return 0
        count = 0
        for sku, currency, price in DEMO_PRICES:
            _save(con, sku, None, currency, Decimal(price))
            count += 1
        for organization, sku, currency, price in extra:
            try:
                org_id = _organization_id(con, organization)
            except PriceError:
                continue
            _save(con, sku, org_id, currency, Decimal(price))
            count += 1
        con.execute("INSERT INTO app_state (key, value) VALUES ('demo_prices', 'yes')")
    return count
