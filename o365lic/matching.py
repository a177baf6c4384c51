"""Suggesting which organization a tenant belongs to: names and verified domains. Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher

__all__ = ["NAME_SIMILARITY_THRESHOLD", "Suggestion", "normalize_name", "suggest_match"]

NAME_SIMILARITY_THRESHOLD = 0.8

_SUFFIXES = frozenset({
    "inc", "incorporated", "ltd", "limited", "llc", "llp", "lp", "plc", "gmbh", "ag", "sa", "sas",
    "srl", "bv", "nv", "pty", "co", "corp", "corporation", "company", "group", "holdings", "the",
})


@dataclass(frozen=True)
class Suggestion:
    """A suggested organization for a tenant, with why."""

    organization_id: int
    organization: str
    reason: str
    score: float


def normalize_name(name: str) -> str:
    """Lower case, no accents, punctuation or legal suffixes: "Contoso, Ltd." -> "contoso"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in _SUFFIXES]
    return " ".join(words)


def _domain_root(domain: str) -> str:
    """``contoso.onmicrosoft.com`` -> ``contoso``; ``contoso.co.uk`` -> ``contoso``."""
    return domain.lower().split(".", 1)[0]


def suggest_match(
    tenant_name: str | None,
    tenant_domains: Iterable[str],
    organizations: Iterable[tuple[int, str]],
    organization_domains: Mapping[int, Iterable[str]] | None = None,
) -> Suggestion | None:
    """The best organization for a tenant: a shared verified domain first, then a similar name."""
    orgs = list(organizations)
    domains = {d.strip().lower() for d in tenant_domains if d and d.strip()}
    by_domain = organization_domains or {}
    for org_id, org_name in orgs:
        shared = domains & {d.lower() for d in by_domain.get(org_id, ())}
        if shared:
            return Suggestion(org_id, org_name, f"verified domain {sorted(shared)[0]}", 1.0)
    wanted = normalize_name(tenant_name or "")
    roots = {normalize_name(_domain_root(d)) for d in domains}
    best: Suggestion | None = None
    for org_id, org_name in orgs:
        candidate = normalize_name(org_name)
        if not candidate:
            continue
        score = SequenceMatcher(None, wanted, candidate).ratio() if wanted else 0.0
        reason = "similar name"
        if wanted and wanted == candidate:
            score, reason = 1.0, "same name"
        root_score = max((SequenceMatcher(None, r, candidate.replace(" ", "")).ratio() for r in roots), default=0.0)
        if root_score > score:
            score, reason = root_score, "name like the tenant's domain"
        if score >= NAME_SIMILARITY_THRESHOLD and (best is None or score > best.score):
            best = Suggestion(org_id, org_name, reason, round(score, 2))
    return best
