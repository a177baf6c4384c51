"""Microsoft 365 simulator: Entra token endpoint and Graph v1.0 over HTTPS on loopback.

Deterministic fictitious customer tenants, injectable faults, request counters. Used by demo
mode, tests and benchmarks.
"""

from __future__ import annotations

from .auth import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from .catalog import SKU_CATALOG, CatalogSku
from .certs import make_client_certificate
from .faults import Fault, FaultKind
from .model import (
    SimulatedSku,
    SimulatedSubscription,
    SimulatedTenant,
    SimulatedUser,
    generate_partner_tenant,
    generate_tenants,
)
from .server import Simulator, serve_forever, start_simulator

__all__ = [
    "Simulator",
    "start_simulator",
    "serve_forever",
    "Fault",
    "FaultKind",
    "SimulatedTenant",
    "SimulatedSku",
    "SimulatedUser",
    "SimulatedSubscription",
    "generate_tenants",
    "generate_partner_tenant",
    "make_client_certificate",
    "CatalogSku",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "SKU_CATALOG",
]
