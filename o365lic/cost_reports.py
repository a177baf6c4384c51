"""Read the licenses with their prices applied, for the pages, the CLI and the report."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from o365lic import reports
from o365lic.costs import apply_prices
from o365lic.store import LOCAL_ADMINISTRATOR, Store, Viewer
from o365lic.store.prices import price_list

__all__ = ["license_costs"]


def license_costs(
    store: Store,
    *,
    organizations: Sequence[str] | None = None,
    search: str | None = None,
    include_free: bool = False,
    viewer: Viewer = LOCAL_ADMINISTRATOR,
) -> pd.DataFrame:
    """:func:`o365lic.reports.licenses` (same filters) with the cost columns of
    :func:`o365lic.costs.apply_prices`: currency, monthly_price, monthly_cost,
    unused_monthly_cost, annual_cost, unused_annual_cost, priced."""
    table = reports.licenses(store, organizations=organizations, search=search,
                             include_free=include_free, viewer=viewer)
    return apply_prices(table, price_list(store))
