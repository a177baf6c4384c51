"""Graph application permissions: a tenant that lacks one answers 403 and the error names the grant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from o365lic.graph import (
    GraphConnector,
    GraphError,
    PermissionDeniedError,
    permission_for,
)
from o365lic.simulator import DEFAULT_GRANTED, Simulator, start_simulator
from tests.conftest import settings_for


@pytest.fixture(scope="module")
def psim() -> Iterator[Simulator]:
    with start_simulator(tenants=2, seed=21) as simulator:
        yield simulator


@pytest.fixture
def tenant(psim: Simulator) -> Iterator[str]:
    tenant_id = next(iter(psim.tenants))
    yield tenant_id
    psim.grant_permissions(tenant_id, DEFAULT_GRANTED)


def test_default_grants_read_everything_o365lic_needs(psim: Simulator, tenant: str, tmp_path) -> None:
    with GraphConnector(settings_for(psim, tmp_path / "db")).client(tenant) as client:
        for path in ("/organization", "/subscribedSkus", "/directory/subscriptions", "/users"):
            assert "value" in client.get(path)


@pytest.mark.parametrize(
    ("path", "granted", "missing"),
    [
        ("/organization", {"User.Read.All"}, "Organization.Read.All"),
        ("/directory/subscriptions", {"User.Read.All", "LicenseAssignment.Read.All"}, "Organization.Read.All"),
        ("/subscribedSkus", {"User.Read.All"}, "Organization.Read.All"),
        ("/users", {"Organization.Read.All"}, "User.Read.All"),
    ],
)
def test_a_missing_permission_is_named_in_the_error(
        psim: Simulator, tenant: str, tmp_path, path: str, granted: set[str], missing: str) -> None:
    psim.grant_permissions(tenant, granted)
    before = psim.token_request_count(tenant)
    with GraphConnector(settings_for(psim, tmp_path / "db")).client(tenant) as client, \
            pytest.raises(PermissionDeniedError) as caught:
        client.get(path)
    error = caught.value
    assert isinstance(error, GraphError)
    assert (error.status, error.code, error.permission, error.call) == (
        403, "Authorization_RequestDenied", missing, f"GET {path}")
    assert "Insufficient privileges to complete the operation." in str(error)
    assert f"grant {missing} (application) and admin consent in this tenant" in str(error)
    assert psim.token_request_count(tenant) == before + 1  # the token was still issued
    assert client.stats.retries == 0  # a refusal is not retried


def test_subscribed_skus_need_only_the_least_privileged_permission(psim: Simulator, tenant: str, tmp_path) -> None:
    psim.grant_permissions(tenant, {"LicenseAssignment.Read.All"})
    with GraphConnector(settings_for(psim, tmp_path / "db")).client(tenant) as client:
        assert client.get_all("/subscribedSkus")
        with pytest.raises(PermissionDeniedError):
            client.get("/organization")


def test_partner_contracts_need_directory_read_all(psim: Simulator, tmp_path) -> None:
    partner = psim.partner_tenant_id
    psim.grant_permissions(partner, {"Organization.Read.All", "User.Read.All"})
    try:
        refused = pytest.raises(PermissionDeniedError, match=r"grant Directory\.Read\.All \(application\)")
        with GraphConnector(settings_for(psim, tmp_path / "db")).client(partner) as client, refused:
            client.get_all("/contracts")
        psim.grant_permissions(partner, DEFAULT_GRANTED)
        with GraphConnector(settings_for(psim, tmp_path / "db")).client(partner) as client:
            assert len(client.get_all("/contracts")) == len(psim.tenants)
    finally:
        psim.grant_permissions(partner, DEFAULT_GRANTED)


def test_permission_for_each_call() -> None:
    assert permission_for("GET /organization") == "Organization.Read.All"
    assert permission_for("GET /subscribedSkus") == "Organization.Read.All"
    assert permission_for("GET /directory/subscriptions") == "Organization.Read.All"
    assert permission_for("GET /users") == "User.Read.All"
    assert permission_for("GET /contracts") == "Directory.Read.All"
    assert permission_for("GET /me") is None
