"""Microsoft 365 simulator: Entra token endpoint and Graph v1.0 over HTTPS on loopback.

Deterministic fictitious customer tenants, injectable faults, request counters. Used by demo
mode, tests and benchmarks.
"""

from __future__ import annotations

from .auth import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from .catalog import SKU_CATALOG, CatalogSku
from .certs import make_client_certificate
from .faults import Fault, FaultKind
from .generator import generate_partner_tenant, generate_tenants
from .model import (
    SimulatedSku,
    SimulatedSubscription,
    SimulatedTenant,
    SimulatedUser,
)
from .permissions import DEFAULT_GRANTED
from .server import Simulator, serve_forever, start_simulator

__all__ = [
    "DEFAULT_GRANTED",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "SKU_CATALOG",
    "CatalogSku",
    "Fault",
    "FaultKind",
    "SimulatedSku",
    "SimulatedSubscription",
    "SimulatedTenant",
    "SimulatedUser",
    "Simulator",
    "generate_partner_tenant",
    "generate_tenants",
    "make_client_certificate",
    "serve_forever",
    "start_simulator",
]
