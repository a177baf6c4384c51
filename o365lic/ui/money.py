"""Costs on the Global and Organization pages: per currency (amounts in different currencies are
never added together), the annual figure beside the monthly one, licenses with no price counted
apart (never as 0), and the cost of unused seats per organization."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from o365lic import insight_charts
from o365lic.charts import DEFAULT_TOP
from o365lic.costs import card_amount, cost_totals, unpriced_summary, unused_cost_by_organization
from o365lic.ui.display import format_count, md, plural

__all__ = ["show_costs", "unused_cost_chart"]


def show_costs(costs: pd.DataFrame) -> None:
    """One row of cards per currency: monthly cost, annual cost, monthly and annual cost of the
    unused seats; then the licenses with no price, counted apart."""
    if costs.empty:
        return
    totals = cost_totals(costs)
    for row in totals.itertuples(index=False):
        currency = str(row.currency)
        st.caption(f"Costs in {currency}")  # the currency once, so the cards' labels fit a laptop
        m, y, um, uy = st.columns(4)
        m.metric("Monthly cost", card_amount(row.monthly_cost), border=True,
                 help=f"Active × monthly price, in {currency} (licenses priced in {currency})")
        y.metric("Annual cost", card_amount(row.annual_cost), border=True,
                 help="12 × the monthly cost")
        um.metric("Unused monthly", card_amount(row.unused_monthly_cost), border=True,
                  help="Unused × monthly price: what idle seats cost")
        uy.metric("Unused annual", card_amount(row.unused_annual_cost), border=True,
                  help="12 × the unused monthly cost")
    unpriced = unpriced_summary(costs)
    if unpriced["licenses"]:
        st.caption(f"No price: {plural(unpriced['licenses'], 'license')} "
                   f"({format_count(unpriced['active'])} active, {format_count(unpriced['unused'])} unused seats) "
                   "are counted apart, not as 0. Set their prices on the Settings page.")
    elif totals.empty:
        st.caption("No prices are set: add them on the Settings page to see costs.")


def unused_cost_chart(costs: pd.DataFrame, *, key: str) -> None:
    """The cost of unused seats per organization, one chart per currency: the top 20, then all."""
    by_org = unused_cost_by_organization(costs)
    if by_org.empty:
        return
    currencies = sorted(by_org["currency"].astype(str).unique())
    count = int(by_org.groupby("currency")["organization"].nunique().max())
    show_all = count > DEFAULT_TOP and st.toggle(f"Show all organizations' unused cost ({count:,})",
                                                 key=f"{key}_all")
    for currency in currencies:
        rows = by_org[by_org["currency"] == currency]
        chart = insight_charts.unused_cost_chart(rows, currency, top=None if show_all else DEFAULT_TOP)
        st.altair_chart(chart, width="stretch")
    if len(currencies) > 1:
        st.caption("One chart per currency: " + ", ".join(md(c) for c in currencies)
                   + " are never added together.")
