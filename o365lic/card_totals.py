"""The headline numbers of a license table, and what a utilisation means. Pure, no I/O.

Paid licenses give Active, Consumed, Unused and Over-assigned with
``Active - Consumed = Unused - Over-assigned`` always. Free and viral SKUs (a free SKU, or
10,000+ units) and trial SKUs are counted apart, so a 1,000,000-unit free SKU never swamps
the totals or a chart's scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "HEALTHY_FROM",
    "CardTotals",
    "KindTotals",
    "LicenseKind",
    "Utilisation",
    "by_kind",
    "card_totals",
    "license_kind",
    "license_kinds",
    "utilisation_class",
    "utilisation_classes",
]

_T = TypeVar("_T")
Utilisation = Literal["idle", "healthy", "over-assigned"]
LicenseKind = Literal["paid", "free", "trial"]

#: A license is "idle" below this share of its active seats consumed, "healthy" from it up to
#: 100 %, "over-assigned" above 100 % (more consumed than active). The one place for it.
HEALTHY_FROM = 0.5


def utilisation_class(active: int | float, consumed: int | float) -> Utilisation:
    """``over-assigned`` when more units are consumed than active, ``idle`` when less than
    :data:`HEALTHY_FROM` of the active units are consumed (or none is active nor consumed),
    else ``healthy``."""
    if consumed > active:
        return "over-assigned"
    if active <= 0 or consumed / active < HEALTHY_FROM:
        return "idle"
    return "healthy"


def license_kind(is_free: object, free_reason: object) -> LicenseKind:
    """``trial`` for a SKU all of whose subscriptions are trials, ``free`` for a free or viral
    SKU (or one with 10,000+ units), else ``paid`` (as the sync stores ``free_reason``)."""
    if free_reason == "trial":
        return "trial"
    if isinstance(free_reason, str) and free_reason:
        return "free"
    return "free" if is_free is not None and not pd.isna(is_free) and bool(is_free) else "paid"


def utilisation_classes(active: pd.Series, consumed: pd.Series) -> pd.Series:
    """:func:`utilisation_class` of every row at once (the same rule, set-based)."""
    a = pd.to_numeric(active, errors="coerce").to_numpy(dtype="float64")
    c = pd.to_numeric(consumed, errors="coerce").to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        idle = (a <= 0) | (c / a < HEALTHY_FROM)
    return pd.Series(np.select([c > a, idle], ["over-assigned", "idle"], "healthy"), index=active.index,
                     dtype=object)


def by_kind(rule: Callable[[object, str | None], _T], is_free: pd.Series,
            free_reason: pd.Series | None) -> pd.Series:
    """``rule(is_free, free_reason)`` of every row (a reason that is not text passed as None),
    worked out once per distinct pair: a table of thousands of licenses has a handful of them."""
    free = is_free.astype(object).where(is_free.notna(), None)
    reasons = (free_reason.map(lambda r: r if isinstance(r, str) else None) if free_reason is not None
               else pd.Series(None, index=is_free.index, dtype=object))
    pairs = pd.Series(list(zip(free, reasons, strict=True)), index=is_free.index, dtype=object)
    return pairs.map({pair: rule(*pair) for pair in set(pairs)}).astype(object)


def license_kinds(is_free: pd.Series, free_reason: pd.Series | None) -> pd.Series:
    """:func:`license_kind` of every row at once."""
    return by_kind(license_kind, is_free, free_reason)


@dataclass(frozen=True)
class KindTotals:
    """Sums over the licenses of one kind."""

    active: int = 0
    consumed: int = 0
    unused: int = 0
    over_assigned: int = 0
    licenses: int = 0

    @property
    def utilisation(self) -> float:
        """Consumed / Active (0.0 with nothing active)."""
        return self.consumed / self.active if self.active else 0.0


@dataclass(frozen=True)
class CardTotals:
    """The headline cards: paid licenses, with free and trial SKUs counted apart."""

    paid: KindTotals
    free: KindTotals
    trial: KindTotals
    organizations: int

    @property
    def active(self) -> int:
        return self.paid.active

    @property
    def consumed(self) -> int:
        return self.paid.consumed

    @property
    def unused(self) -> int:
        return self.paid.unused

    @property
    def over_assigned(self) -> int:
        return self.paid.over_assigned

    @property
    def utilisation(self) -> float:
        return self.paid.utilisation

    @property
    def utilisation_class(self) -> Utilisation:
        return utilisation_class(self.paid.active, self.paid.consumed)


def _kind_totals(active: pd.Series, consumed: pd.Series) -> KindTotals:
    difference = active - consumed
    return KindTotals(
        active=int(active.sum()), consumed=int(consumed.sum()),
        unused=int(difference.clip(lower=0).sum()), over_assigned=int((-difference).clip(lower=0).sum()),
        licenses=len(active),
    )


def card_totals(licenses: pd.DataFrame) -> CardTotals:
    """The cards of a license table as :func:`o365lic.reports.licenses` returns it (columns
    ``organization``, ``active``, ``consumed``, ``is_free``, ``free_reason``).

    Unused and Over-assigned are taken per license from Active and Consumed (SPEC section 3),
    so ``active - consumed == unused - over_assigned`` for each kind by construction."""
    if licenses.empty:
        return CardTotals(KindTotals(), KindTotals(), KindTotals(), 0)
    active = pd.to_numeric(licenses["active"], errors="coerce").fillna(0).astype("int64")
    consumed = pd.to_numeric(licenses["consumed"], errors="coerce").fillna(0).astype("int64")
    kinds = license_kinds(licenses["is_free"], licenses.get("free_reason"))
    parts = {kind: _kind_totals(active[kinds == kind], consumed[kinds == kind])
             for kind in ("paid", "free", "trial")}
    return CardTotals(parts["paid"], parts["free"], parts["trial"],
                      organizations=int(licenses["organization"].nunique()))
