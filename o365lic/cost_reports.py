"""Read the licenses with their prices applied, for the pages, the CLI and the report."""

from __future__ import annotations

from typing import Unpack

import pandas as pd

from o365lic import reports
from o365lic.costs import apply_prices
from o365lic.reports import FilterParts, LicenseFilter
from o365lic.store import Store
from o365lic.store.prices import price_list

__all__ = ["license_costs"]


def license_costs(store: Store, chosen: LicenseFilter | None = None, /,
                  **parts: Unpack[FilterParts]) -> pd.DataFrame:
    """:func:`o365lic.reports.licenses` (same filter) with the cost columns of
    :func:`o365lic.costs.apply_prices`: currency, monthly_price, monthly_cost,
    unused_monthly_cost, annual_cost, unused_annual_cost, priced."""
    return apply_prices(reports.licenses(store, chosen, **parts), price_list(store))
