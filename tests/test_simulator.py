"""Tests of the Microsoft 365 simulator over real HTTPS (requests and MSAL)."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import msal
import pytest
import requests

from o365lic.simulator import (
    DEFAULT_GRANTED,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    SKU_CATALOG,
    Fault,
    SimulatedSku,
    SimulatedTenant,
    SimulatedUser,
    Simulator,
    generate_tenants,
    make_client_certificate,
    start_simulator,
)

__all__: list[str] = []

USER_SELECT = "id,displayName,userPrincipalName,mail,accountEnabled,assignedLicenses"


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with start_simulator(tenants=6, seed=365) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _no_leftover_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").clear_faults()


@pytest.fixture()
def session(sim: Simulator) -> Iterator[requests.Session]:
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override verify
    s.verify = sim.ca_file
    yield s
    s.close()


def graph_resource(sim: Simulator) -> str:
    return sim.graph_url.removesuffix("/v1.0")


def token_post(session: requests.Session, sim: Simulator, tenant: str, **overrides: str) -> requests.Response:
    form = {
        "grant_type": "client_credentials",
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
        "scope": f"{graph_resource(sim)}/.default",
    }
    form.update(overrides)
    return session.post(f"{sim.authority_host}/{tenant}/oauth2/v2.0/token", data=form, timeout=10)


def access_token(session: requests.Session, sim: Simulator, tenant: str) -> str:
    response = token_post(session, sim, tenant)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def graph_get(
    session: requests.Session, sim: Simulator, token: str, path: str, timeout: float = 10
) -> requests.Response:
    url = path if path.startswith("https://") else f"{sim.graph_url}{path}"
    return session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)


def all_users(session: requests.Session, sim: Simulator, token: str, top: int = 999) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    url: str | None = f"/users?$select={USER_SELECT}&$top={top}"
    while url:
        response = graph_get(session, sim, token, url)
        assert response.status_code == 200, response.text
        body = response.json()
        users.extend(body["value"])
        url = body.get("@odata.nextLink")
    return users


def first_tenant(sim: Simulator) -> SimulatedTenant:
    return next(iter(sim.tenants.values()))


def assert_graph_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    assert response.headers["request-id"]
    return dict(error)


def assert_entra_error(response: requests.Response, status: int, error: str, code: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}:")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)


def big_tenant(user_count: int) -> SimulatedTenant:
    e3 = SKU_CATALOG["SPE_E3"]
    sku = SimulatedSku(e3.sku_id, e3.sku_part_number, "Enabled", enabled=user_count + 100)
    tenant_id = str(uuid.uuid4())
    users = [
        SimulatedUser(
            id=str(uuid.uuid5(uuid.UUID(tenant_id), str(i))),
            display_name=f"User {i}",
            user_principal_name=f"user{i}@bigcorp.onmicrosoft.com",
            mail=f"user{i}@bigcorp.onmicrosoft.com",
            account_enabled=True,
            sku_ids=[e3.sku_id],
            given_name="User",
            surname=str(i),
        )
        for i in range(user_count)
    ]
    return SimulatedTenant(tenant_id, "Big Corp", ["bigcorp.onmicrosoft.com"], [sku], users, [])


# --------------------------------------------------------------------------- generation


def test_generate_tenants_is_deterministic() -> None:
    a, b = generate_tenants(8, seed=365), generate_tenants(8, seed=365)
    assert a == b
    assert [t.tenant_id for t in generate_tenants(3, seed=365)] == [t.tenant_id for t in a[:3]]
    other = generate_tenants(8, seed=1)
    assert {t.tenant_id for t in other}.isdisjoint({t.tenant_id for t in a})
    assert [t.display_name for t in a[:6]] == [
        "Contoso", "Fabrikam", "Northwind Traders", "Tailspin Toys", "Woodgrove Bank", "Adventure Works",
    ]
    domains = [d for t in generate_tenants(40) for d in t.domains]
    assert len(domains) == len(set(domains))
    for tenant in a:
        assert 15 <= len(tenant.users) <= 150
        assert 3 <= len(tenant.skus) <= 7
        assert str(uuid.UUID(tenant.tenant_id)) == tenant.tenant_id
        upns = [u.user_principal_name for u in tenant.users]
        assert len(upns) == len(set(upns))
        assert all(upn.endswith("@" + tenant.default_domain) for upn in upns)
    assert all(len(t.users) == 7 for t in generate_tenants(3, seed=9, users_per_tenant=7))


def test_generated_tenants_cover_license_situations() -> None:
    tenants = generate_tenants(6, seed=365)
    skus = [(t, s) for t in tenants for s in t.skus]
    warning = [s for _, s in skus if s.capability_status == "Warning"]
    assert warning and all(s.warning > 0 and s.enabled > 0 for s in warning)
    suspended = [(t, s) for t, s in skus if s.capability_status == "Suspended"]
    assert suspended and all(s.enabled == 0 and s.suspended > 0 and t.consumed_units(s.sku_id) > 0
                             for t, s in suspended)
    assert any(s.capability_status == "LockedOut" and s.locked_out > 0 for _, s in skus)
    assert any(t.consumed_units(s.sku_id) > s.enabled + s.warning
               for t, s in skus if s.capability_status == "Enabled")
    assert any(
        sum(1 for s in t.skus if s.enabled - t.consumed_units(s.sku_id) >= 3) > len(t.skus) / 2 for t in tenants
    )
    parts = {s.sku_part_number: s for _, s in skus}
    assert parts["FLOW_FREE"].enabled == 10000 and parts["POWER_BI_STANDARD"].enabled == 1000000
    assert any(sub.is_trial for t in tenants for sub in t.subscriptions)
    for tenant in tenants:
        for sku in tenant.skus:
            subs = [s for s in tenant.subscriptions if s.sku_id == sku.sku_id]
            assert subs and sum(s.total_licenses for s in subs) == sku.total_prepaid
        assert any(not u.account_enabled for u in tenant.users) or len(tenant.users) < 30
        assert any(not u.sku_ids for u in tenant.users)


# --------------------------------------------------------------------------- sign-in


def test_openid_configuration_by_guid_and_domain(sim: Simulator, session: requests.Session) -> None:
    tenant = next(t for t in sim.tenants.values() if len(t.domains) > 1)
    for key in (tenant.tenant_id, tenant.default_domain, tenant.initial_domain.upper()):
        response = session.get(f"{sim.authority_host}/{key}/v2.0/.well-known/openid-configuration", timeout=10)
        assert response.status_code == 200, response.text
        config = response.json()
        assert config["issuer"] == f"{sim.authority_host}/{tenant.tenant_id}/v2.0"
        assert config["token_endpoint"] == f"{sim.authority_host}/{tenant.tenant_id}/oauth2/v2.0/token"
        for field in ("authorization_endpoint", "jwks_uri", "response_types_supported",
                      "subject_types_supported", "id_token_signing_alg_values_supported", "tenant_region_scope"):
            assert field in config
    missing = session.get(f"{sim.authority_host}/nope.onmicrosoft.com/v2.0/.well-known/openid-configuration",
                          timeout=10)
    assert_entra_error(missing, 400, "invalid_tenant", 90002)
    assert "nope.onmicrosoft.com" in missing.json()["error_description"]


def test_token_endpoint_outcomes(sim: Simulator, session: requests.Session) -> None:
    tenant = first_tenant(sim)
    ok = token_post(session, sim, tenant.tenant_id)
    assert ok.status_code == 200
    body = ok.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and body["ext_expires_in"] == 3599
    assert body["access_token"]
    assert token_post(session, sim, tenant.default_domain).status_code == 200

    assert_entra_error(token_post(session, sim, tenant.tenant_id, client_secret="wrong"), 401, "invalid_client",
                       7000215)
    assert_entra_error(token_post(session, sim, tenant.tenant_id, client_id=str(uuid.uuid4())), 400,
                       "unauthorized_client", 700016)
    assert_entra_error(token_post(session, sim, str(uuid.uuid4())), 400, "invalid_tenant", 90002)
    assert_entra_error(token_post(session, sim, tenant.tenant_id, grant_type="password"), 400,
                       "unsupported_grant_type", 70003)
    assert_entra_error(token_post(session, sim, tenant.tenant_id, scope=f"{graph_resource(sim)}/User.Read.All"),
                       400, "invalid_scope", 1002012)

    unconsented = generate_tenants(7, seed=365)[6]
    unconsented.consented = False
    sim.add_tenant(unconsented)
    assert_entra_error(token_post(session, sim, unconsented.tenant_id), 400, "unauthorized_client", 700016)
    unconsented.consented = True
    assert token_post(session, sim, unconsented.tenant_id).status_code == 200
    assert sim.client_id == DEMO_CLIENT_ID and sim.client_secret == DEMO_CLIENT_SECRET


def test_msal_acquires_token_with_secret(sim: Simulator, session: requests.Session) -> None:
    tenant = first_tenant(sim)
    for authority_tenant in (tenant.tenant_id, tenant.default_domain):
        app = msal.ConfidentialClientApplication(
            sim.client_id,
            client_credential=sim.client_secret,
            authority=f"{sim.authority_host}/{authority_tenant}",
            http_client=session,
            instance_discovery=False,
        )
        result = app.acquire_token_for_client([f"{graph_resource(sim)}/.default"])
        assert "access_token" in result, result
        organization = graph_get(session, sim, result["access_token"], "/organization").json()
        assert organization["value"][0]["id"] == tenant.tenant_id


def test_msal_acquires_token_with_certificate(sim: Simulator, session: requests.Session) -> None:
    tenant = first_tenant(sim)
    key_pem, cert_pem = make_client_certificate()
    thumbprint = sim.register_certificate(cert_pem)
    assert len(thumbprint) == 40
    credentials: list[dict[str, str]] = [
        {"private_key": key_pem.decode(), "public_certificate": cert_pem.decode()},  # PS256, x5t#S256
        {"private_key": key_pem.decode(), "thumbprint": thumbprint},  # RS256, x5t
    ]
    for credential in credentials:
        app = msal.ConfidentialClientApplication(
            sim.client_id, client_credential=credential, authority=f"{sim.authority_host}/{tenant.tenant_id}",
            http_client=session, instance_discovery=False,
        )
        result = app.acquire_token_for_client([f"{graph_resource(sim)}/.default"])
        assert "access_token" in result, result
    other_key, other_cert = make_client_certificate("not registered")
    app = msal.ConfidentialClientApplication(
        sim.client_id, client_credential={"private_key": other_key.decode(), "public_certificate": other_cert.decode()},
        authority=f"{sim.authority_host}/{tenant.tenant_id}", http_client=session, instance_discovery=False,
    )
    result = app.acquire_token_for_client([f"{graph_resource(sim)}/.default"])
    assert result.get("error") == "invalid_client" and 700027 in result.get("error_codes", [])


# --------------------------------------------------------------------------- Graph


def test_graph_rejects_missing_invalid_and_expired_tokens(sim: Simulator, session: requests.Session) -> None:
    response = session.get(f"{sim.graph_url}/users", timeout=10)
    assert_graph_error(response, 401, "InvalidAuthenticationToken")
    assert response.headers["client-request-id"]
    assert_graph_error(graph_get(session, sim, "not-a-token", "/users"), 401, "InvalidAuthenticationToken")
    tenant = first_tenant(sim)
    token = access_token(session, sim, tenant.tenant_id)
    assert graph_get(session, sim, token, "/organization").status_code == 200
    sim.expire_tokens(tenant.tenant_id)
    expired = assert_graph_error(graph_get(session, sim, token, "/organization"), 401, "InvalidAuthenticationToken")
    assert "expired" in expired["message"]


def test_graph_shapes(sim: Simulator, session: requests.Session) -> None:
    tenant = first_tenant(sim)
    token = access_token(session, sim, tenant.tenant_id)
    org_response = graph_get(session, sim, token, "/organization")
    assert org_response.headers["Content-Type"].startswith("application/json;odata.metadata=minimal")
    assert org_response.headers["request-id"] and org_response.headers["client-request-id"]
    org = org_response.json()
    assert org["@odata.context"].endswith("$metadata#organization")
    (item,) = org["value"]
    assert item["displayName"] == tenant.display_name
    assert [d["name"] for d in item["verifiedDomains"]] == tenant.domains
    assert sum(d["isDefault"] for d in item["verifiedDomains"]) == 1

    skus = graph_get(session, sim, token, "/subscribedSkus").json()["value"]
    assert {s["skuId"] for s in skus} == {s.sku_id for s in tenant.skus}
    for sku in skus:
        assert sku["id"] == f"{tenant.tenant_id}_{sku['skuId']}"
        assert set(sku["prepaidUnits"]) == {"enabled", "suspended", "warning", "lockedOut"}
        assert sku["servicePlans"] and sku["subscriptionIds"]

    subscriptions = graph_get(session, sim, token, "/directory/subscriptions").json()["value"]
    assert len(subscriptions) == len(tenant.subscriptions)
    for sub in subscriptions:
        assert set(sub) >= {"id", "commerceSubscriptionId", "createdDateTime", "isTrial", "nextLifecycleDateTime",
                            "ownerId", "ownerTenantId", "ownerType", "serviceStatus", "skuId", "skuPartNumber",
                            "status", "totalLicenses"}
        assert sub["createdDateTime"].endswith("Z")

    default_users = graph_get(session, sim, token, "/users").json()
    assert len(default_users["value"]) == min(100, len(tenant.users))
    assert "assignedLicenses" not in default_users["value"][0]

    assert_graph_error(graph_get(session, sim, token, "/nonsense"), 404, "NotFound")
    assert_graph_error(graph_get(session, sim, token, "/users?$select=id,favouriteColour"), 400,
                       "Request_BadRequest")
    assert graph_get(session, sim, token, "/contracts").json()["value"] == []


def test_consumed_units_equal_users_holding_the_sku(sim: Simulator, session: requests.Session) -> None:
    for tenant in list(sim.tenants.values())[:6]:
        token = access_token(session, sim, tenant.tenant_id)
        users = all_users(session, sim, token, top=50)
        assert len(users) == len(tenant.users)
        for sku in graph_get(session, sim, token, "/subscribedSkus").json()["value"]:
            holders = sum(1 for u in users if any(a["skuId"] == sku["skuId"] for a in u["assignedLicenses"]))
            assert sku["consumedUnits"] == holders, (tenant.display_name, sku["skuPartNumber"])


def test_users_paging_2500_users(sim: Simulator, session: requests.Session) -> None:
    tenant = big_tenant(2500)
    sim.add_tenant(tenant)
    token = access_token(session, sim, tenant.tenant_id)
    before = sim.request_count(tenant.tenant_id, "/users")
    pages: list[dict[str, Any]] = []
    url: str | None = f"{sim.graph_url}/users?%24select={USER_SELECT.replace(',', '%2C')}&%24top=999"
    while url:
        response = graph_get(session, sim, token, url)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        url = pages[-1].get("@odata.nextLink")
        if url:
            assert url.startswith(f"{sim.graph_url}/users?") and "$skiptoken=" in url and "$top=999" in url
    assert [len(p["value"]) for p in pages] == [999, 999, 502]
    ids = [u["id"] for p in pages for u in p["value"]]
    assert len(ids) == 2500 and len(set(ids)) == 2500
    assert all(set(u) == set(USER_SELECT.split(",")) for p in pages for u in p["value"])
    assert pages[0]["value"][0]["assignedLicenses"] == [{"disabledPlans": [], "skuId": tenant.skus[0].sku_id}]
    assert sim.request_count(tenant.tenant_id, "/users") == before + 3

    narrow = graph_get(session, sim, token, "/users?$select=displayName&$top=5").json()["value"]
    assert all(set(u) == {"id", "displayName"} for u in narrow)
    (sku,) = graph_get(session, sim, token, "/subscribedSkus").json()["value"]
    assert sku["consumedUnits"] == 2500

    too_big = assert_graph_error(graph_get(session, sim, token, "/users?$top=1000"), 400,
                                 "Request_UnsupportedQuery")
    assert too_big["message"] == "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
    assert_graph_error(graph_get(session, sim, token, "/users?$skiptoken=garbage"), 400,
                       "Directory_ExpiredPageToken")


def test_server_serves_current_state(sim: Simulator, session: requests.Session) -> None:
    tenant = big_tenant(3)
    sim.add_tenant(tenant)
    token = access_token(session, sim, tenant.tenant_id)

    def first_sku() -> dict[str, Any]:
        return dict(graph_get(session, sim, token, "/subscribedSkus").json()["value"][0])

    assert first_sku()["consumedUnits"] == 3
    tenant.skus[0].enabled = 42
    tenant.users.append(SimulatedUser(str(uuid.uuid4()), "New Hire", "new.hire@bigcorp.onmicrosoft.com",
                                      sku_ids=[tenant.skus[0].sku_id]))
    sku = first_sku()
    assert sku["prepaidUnits"]["enabled"] == 42 and sku["consumedUnits"] == 4
    assert len(all_users(session, sim, token)) == 4


def test_partner_contracts_list_customers(sim: Simulator, session: requests.Session) -> None:
    token = access_token(session, sim, sim.partner_tenant_id)
    assert sim.partner_tenant_id not in sim.tenants
    contracts: list[dict[str, Any]] = []
    url: str | None = "/contracts"
    while url:
        body = graph_get(session, sim, token, url).json()
        contracts.extend(body["value"])
        url = body.get("@odata.nextLink")
    assert [c["customerId"] for c in contracts] == list(sim.tenants)
    for contract in contracts:
        tenant = sim.tenants[contract["customerId"]]
        assert contract["contractType"] == "ResellerPartner"
        assert contract["defaultDomainName"] == tenant.default_domain
        assert contract["displayName"] == tenant.display_name


# --------------------------------------------------------------------------- faults and counters


def test_throttle_fault_with_retry_after_expires(sim: Simulator, session: requests.Session) -> None:
    tenant = first_tenant(sim)
    token = access_token(session, sim, tenant.tenant_id)
    sim.add_fault(tenant.tenant_id, Fault("throttle", path="/users", times=2, retry_after=0.2))
    assert graph_get(session, sim, token, "/subscribedSkus").status_code == 200  # other path untouched
    for _ in range(2):
        response = graph_get(session, sim, token, "/users")
        assert_graph_error(response, 429, "TooManyRequests")
        assert response.headers["Retry-After"] == "0.2"
    assert graph_get(session, sim, token, "/users").status_code == 200

    sim.add_fault(tenant.tenant_id, Fault("throttle", retry_after=None))
    response = graph_get(session, sim, token, "/organization")
    assert response.status_code == 429 and "Retry-After" not in response.headers
    assert graph_get(session, sim, token, "/organization").status_code == 200


def test_5xx_faults(sim: Simulator, session: requests.Session) -> None:
    tenant = first_tenant(sim)
    token = access_token(session, sim, tenant.tenant_id)
    sim.add_fault(tenant.tenant_id, Fault("unavailable", retry_after=1))
    response = graph_get(session, sim, token, "/subscribedSkus")
    assert_graph_error(response, 503, "ServiceUnavailable")
    assert response.headers["Retry-After"] == "1"
    sim.add_fault(tenant.tenant_id, Fault("gateway_timeout"))
    assert_graph_error(graph_get(session, sim, token, "/subscribedSkus"), 504, "GatewayTimeout")
    assert graph_get(session, sim, token, "/subscribedSkus").status_code == 200


def test_permanent_fault_until_cleared(sim: Simulator, session: requests.Session) -> None:
    tenant = first_tenant(sim)
    token = access_token(session, sim, tenant.tenant_id)
    sim.add_fault(tenant.tenant_id, Fault("unavailable", times=None))
    assert all(graph_get(session, sim, token, "/organization").status_code == 503 for _ in range(4))
    sim.clear_faults(tenant.tenant_id)
    assert graph_get(session, sim, token, "/organization").status_code == 200
    other = list(sim.tenants.values())[2]
    other_token = access_token(session, sim, other.tenant_id)
    sim.add_fault("*", Fault("gateway_timeout", path="/v1.0/organization", times=2))  # every tenant
    assert graph_get(session, sim, other_token, "/organization").status_code == 504
    assert graph_get(session, sim, token, "/organization").status_code == 504
    assert graph_get(session, sim, token, "/organization").status_code == 200
    sim.add_fault(other.default_domain, Fault("throttle"))  # a domain names the tenant too
    assert graph_get(session, sim, other_token, "/users").status_code == 429


def test_slow_fault_triggers_client_timeout(sim: Simulator, session: requests.Session) -> None:
    tenant = first_tenant(sim)
    token = access_token(session, sim, tenant.tenant_id)
    sim.add_fault(tenant.tenant_id, Fault("slow", delay_s=1.0))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        graph_get(session, sim, token, "/subscribedSkus", timeout=0.3)
    assert time.monotonic() - started < 0.9
    assert graph_get(session, sim, token, "/subscribedSkus", timeout=0.9).status_code == 200


def test_malformed_and_truncated_faults(sim: Simulator, session: requests.Session) -> None:
    tenant = first_tenant(sim)
    token = access_token(session, sim, tenant.tenant_id)
    sim.add_fault(tenant.tenant_id, Fault("malformed", path="/subscribedSkus"))
    response = graph_get(session, sim, token, "/subscribedSkus")
    assert response.status_code == 200 and response.text.startswith("<html>")
    with pytest.raises(ValueError):
        json.loads(response.text)

    sim.add_fault(tenant.tenant_id, Fault("truncated", path="/users"))
    with pytest.raises(requests.exceptions.RequestException):
        graph_get(session, sim, token, "/users")
    assert graph_get(session, sim, token, "/users").status_code == 200


def test_signin_failure_fault(sim: Simulator, session: requests.Session) -> None:
    tenant = first_tenant(sim)
    sim.add_fault(tenant.tenant_id, Fault("throttle", times=1))  # a Graph fault does not touch sign-in ...
    token = access_token(session, sim, tenant.tenant_id)
    sim.clear_faults()
    sim.add_fault(tenant.tenant_id, Fault("signin_failure", times=1))
    assert graph_get(session, sim, token, "/organization").status_code == 200  # ... and vice versa
    assert_entra_error(token_post(session, sim, tenant.tenant_id), 401, "invalid_client", 7000215)
    assert token_post(session, sim, tenant.tenant_id).status_code == 200
    sim.add_fault(tenant.tenant_id, Fault("throttle", path="/oauth2", retry_after=0.1))
    throttled = token_post(session, sim, tenant.tenant_id)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "0.1"
    assert throttled.json()["error"] == "temporarily_unavailable"
    assert token_post(session, sim, tenant.tenant_id).status_code == 200


def test_counters(sim: Simulator, session: requests.Session) -> None:
    tenant = list(sim.tenants.values())[1]
    tokens_before = sim.token_request_count(tenant.tenant_id)
    token = access_token(session, sim, tenant.tenant_id)
    assert sim.token_request_count(tenant.tenant_id) == tokens_before + 1
    total_before = sim.request_count()
    tenant_before = sim.request_count(tenant.tenant_id)
    skus_before = sim.request_count(tenant.tenant_id, "/subscribedSkus")
    graph_get(session, sim, token, "/subscribedSkus")
    graph_get(session, sim, token, "/subscribedskus")
    graph_get(session, sim, token, "/organization")
    assert sim.request_count(tenant.tenant_id, "/subscribedSkus") == skus_before + 2
    assert sim.request_count(tenant.tenant_id) == tenant_before + 3
    assert sim.request_count() >= total_before + 3
    assert sim.request_count(path="/subscribedSkus") >= skus_before + 2


def test_concurrent_requests(sim: Simulator, session: requests.Session) -> None:
    tenants = list(sim.tenants.values())[:6]
    tokens = {t.tenant_id: access_token(session, sim, t.tenant_id) for t in tenants}

    def fetch(i: int) -> int:
        tenant = tenants[i % len(tenants)]
        with requests.Session() as s:
            s.trust_env = False
            s.verify = sim.ca_file
            return graph_get(s, sim, tokens[tenant.tenant_id], "/subscribedSkus").status_code

    with ThreadPoolExecutor(max_workers=24) as pool:
        assert set(pool.map(fetch, range(96))) == {200}


def test_stop_frees_port_and_removes_files() -> None:
    with start_simulator(tenants=1, users_per_tenant=3, latency_ms=20) as small:
        session = requests.Session()
        session.trust_env = False
        session.verify = small.ca_file
        started = time.monotonic()
        assert token_post(session, small, next(iter(small.tenants))).status_code == 200
        assert time.monotonic() - started >= 0.02
        host, port = small.authority_host.removeprefix("https://").split(":")
        ca_file = small.ca_file
        assert os.path.exists(ca_file)
        session.close()
    assert not os.path.exists(ca_file)
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=1).close()


# --------------------------------------------------------------------------- untidy tenants, clock, Entra ids


def test_untidy_tenants_are_served_as_microsoft_sends_them(sim: Simulator, session: requests.Session) -> None:
    statuses: set[str] = set()
    company, mixed, deleted, other_account = [], [], [], []
    for tenant in sim.tenants.values():
        token = access_token(session, sim, tenant.tenant_id)
        skus = graph_get(session, sim, token, "/subscribedSkus").json()["value"]
        for sku in skus:
            statuses.add(sku["capabilityStatus"])
            units = sku["prepaidUnits"]
            if sku["appliesTo"] == "Company":
                company.append(sku)
            if units["enabled"] > 0 and (units["suspended"] > 0 or units["lockedOut"] > 0):
                mixed.append(sku)
            if sku["capabilityStatus"] == "Deleted":
                deleted.append(sku)
            if sku["accountId"] != tenant.tenant_id:
                other_account.append(sku)
        subs = graph_get(session, sim, token, "/directory/subscriptions").json()["value"]
        statuses |= {s["status"] for s in subs}
    assert statuses == {"Enabled", "Warning", "Suspended", "LockedOut", "Deleted"}  # PascalCase, exactly
    assert company and all(s["consumedUnits"] == 0 and s["prepaidUnits"]["enabled"] >= 1000 for s in company)
    assert all(p["appliesTo"] == "Company" for s in company for p in s["servicePlans"])
    assert mixed and deleted and other_account


def test_renewals_are_relative_to_the_clock() -> None:
    from datetime import UTC, datetime

    clock = datetime(2031, 5, 17, tzinfo=UTC)
    tenants = generate_tenants(6, seed=365, clock=clock)
    assert tenants == generate_tenants(6, seed=365, clock=clock)
    days = [
        (sub.next_lifecycle - clock).days
        for tenant in tenants for sub in tenant.subscriptions
        if sub.next_lifecycle is not None and sub.status != "Deleted"
    ]
    assert any(0 <= d <= 30 for d in days)
    assert any(31 <= d <= 90 for d in days)
    assert any(d > 90 for d in days)
    subs = [s for t in tenants for s in t.subscriptions]
    assert any(s.status == "Warning" and 0 <= (s.next_lifecycle - clock).days <= 30 for s in subs)
    assert any(s.status == "Suspended" for s in subs)
    assert any(s.is_trial and 0 <= (s.next_lifecycle - clock).days <= 30 for s in subs)
    later = generate_tenants(6, seed=365, clock=datetime(2032, 5, 17, tzinfo=UTC))
    assert later[0].subscriptions[0].next_lifecycle != tenants[0].subscriptions[0].next_lifecycle


def test_entra_errors_put_support_ids_on_lines_of_their_own(sim: Simulator, session: requests.Session) -> None:
    response = token_post(session, sim, first_tenant(sim).tenant_id, client_secret="wrong")
    lines = response.json()["error_description"].split("\r\n")
    assert lines[0].startswith("AADSTS7000215:")
    assert [line.split(":", 1)[0] for line in lines[1:]] == ["Trace ID", "Correlation ID", "Timestamp"]


@pytest.mark.parametrize("retry_after", [2, 0.5])
def test_token_endpoint_can_throttle_with_retry_after(sim: Simulator, session: requests.Session,
                                                      retry_after: float) -> None:
    tenant = first_tenant(sim).tenant_id
    sim.add_fault(tenant, Fault("throttle", path="/oauth2/v2.0/token", times=1, retry_after=retry_after))
    throttled = token_post(session, sim, tenant)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == f"{retry_after:g}"
    assert throttled.json()["error"] == "temporarily_unavailable"
    assert token_post(session, sim, tenant).status_code == 200


def test_a_tenant_without_a_permission_gets_403_but_a_token(sim: Simulator, session: requests.Session) -> None:
    tenant = first_tenant(sim)
    sim.grant_permissions(tenant.tenant_id, {"User.Read.All"})
    try:
        token = access_token(session, sim, tenant.tenant_id)
        error = assert_graph_error(graph_get(session, sim, token, "/organization"), 403,
                                   "Authorization_RequestDenied")
        assert error["message"] == "Insufficient privileges to complete the operation."
        assert graph_get(session, sim, token, "/users").status_code == 200
    finally:
        sim.grant_permissions(tenant.tenant_id, set(DEFAULT_GRANTED))
