"""Fictitious people and companies: names, domains, ids and the users of a generated tenant."""

from __future__ import annotations

import random
import re
import uuid

from .model import SimulatedUser

__all__ = ["COUNTRIES", "NAMESPACE", "PARTNER_NAME", "company_name", "generate_users", "iso_id", "slug"]

NAMESPACE = uuid.UUID("6f1b3a52-7c1e-4d8e-9a53-0365c0ffee65")


# --------------------------------------------------------------------------- names

COMPANY_NAMES: tuple[str, ...] = (
    "Contoso", "Fabrikam", "Northwind Traders", "Tailspin Toys", "Woodgrove Bank", "Adventure Works",
    "Litware", "Proseware", "Wide World Importers", "Alpine Ski House", "Coho Winery", "Fourth Coffee",
    "Lamna Healthcare", "Relecloud", "Trey Research", "Margie's Travel", "Blue Yonder Airlines",
    "City Power & Light", "Graphic Design Institute", "Humongous Insurance", "Lucerne Publishing",
    "Nod Publishers", "Southridge Video", "Tailwind Traders", "VanArsdel", "Wingtip Toys",
    "Bellows College", "Best For You Organics", "Consolidated Messenger", "Fincher Architects",
    "First Up Consultants", "Munson's Pickles and Preserves", "School of Fine Art", "The Phone Company",
)
PARTNER_NAME = "A. Datum Corporation"

_GIVEN_NAMES: tuple[str, ...] = (
    "Adele", "Alex", "Allan", "Ana", "Ben", "Carlos", "Chen", "Christie", "Debra", "Diego", "Emily",
    "Enrico", "Fatima", "Gerhart", "Grady", "Hana", "Henrietta", "Isaiah", "Ivan", "Johanna", "Joni",
    "Kenji", "Lee", "Lidia", "Lynne", "Megan", "Miriam", "Nestor", "Noah", "Olga", "Patti", "Pradeep",
    "Priya", "Raul", "Rosa", "Sakura", "Samir", "Sofia", "Tomas", "Valentina", "Wei", "Yara", "Zoe",
)
_SURNAMES: tuple[str, ...] = (
    "Vance", "Wilber", "Deyoung", "Bowen", "Gonzalez", "Lambert", "Lee", "Cline", "Berg", "Zrinski",
    "Moody", "Kovacs", "Haddad", "Ito", "Tanaka", "Nakamura", "Sokolova", "Petrov", "Holloway",
    "Bowers", "Wilson", "Marquez", "Rossi", "Bianchi", "Muller", "Schneider", "Okafor", "Mensah",
    "Nguyen", "Tran", "Singh", "Patel", "Kumar", "Silva", "Costa", "Jensen", "Larsen", "Dubois",
    "Moreau", "Garcia", "Lopez", "Novak", "Horvat", "Byrne", "Murphy", "Kowalski", "Yilmaz",
)
_DEPARTMENTS: tuple[str, ...] = (
    "Sales", "Marketing", "Finance", "Operations", "Engineering", "Human Resources", "Legal", "IT",
    "Customer Service", "Research",
)
_JOB_TITLES: tuple[str, ...] = (
    "Manager", "Specialist", "Analyst", "Coordinator", "Director", "Consultant", "Associate",
    "Administrator", "Engineer", "Assistant",
)
COUNTRIES: tuple[str, ...] = ("US", "US", "US", "GB", "CA", "DE", "NL", "AU", "FR", "IE")

def company_name(index: int) -> str:
    base = COMPANY_NAMES[index % len(COMPANY_NAMES)]
    round_ = index // len(COMPANY_NAMES)
    return base if round_ == 0 else f"{base} {round_ + 1}"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower()) or "tenant"


def _ascii_part(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def iso_id(namespace_key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, namespace_key))


# --------------------------------------------------------------------------- users


def generate_users(
    rng: random.Random, tenant_id: str, count: int, domain: str, country: str
) -> list[SimulatedUser]:
    users: list[SimulatedUser] = []
    taken: set[str] = set()
    for i in range(count):
        given = rng.choice(_GIVEN_NAMES)
        surname = rng.choice(_SURNAMES)
        local = f"{_ascii_part(given)}.{_ascii_part(surname)}"
        candidate, n = local, 1
        while candidate in taken:
            n += 1
            candidate = f"{local}{n}"
        taken.add(candidate)
        upn = f"{candidate}@{domain}"
        enabled = rng.random() >= 0.08
        users.append(
            SimulatedUser(
                id=iso_id(f"user:{tenant_id}:{i}"),
                display_name=f"{given} {surname}",
                user_principal_name=upn,
                mail=upn if enabled or rng.random() < 0.5 else None,
                account_enabled=enabled,
                sku_ids=[],
                given_name=given,
                surname=surname,
                job_title=f"{rng.choice(_DEPARTMENTS[:5])} {rng.choice(_JOB_TITLES)}",
                department=rng.choice(_DEPARTMENTS),
                usage_location=country,
            )
        )
    return users
