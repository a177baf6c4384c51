"""Sign-in as Microsoft Entra really behaves: 429/5xx, HTML pages, MSAL's throttle cache, support ids."""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import quote, quote_plus

import pytest

from o365lic.graph import (
    GraphConnector,
    RetryPolicy,
    SignInError,
    SignInUnavailableError,
)
from o365lic.simulator import Fault, Simulator, generate_tenants
from tests.conftest import settings_for

TOKEN = "/oauth2/v2.0/token"


@pytest.fixture
def settings(sim: Simulator, db_path):
    return settings_for(sim, db_path)


class Sleeps:
    """An injected sleep: records the waits, never really waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def connector_with(settings, sleeps: Sleeps, attempts: int = 5) -> GraphConnector:
    return GraphConnector(settings, retry=RetryPolicy(max_attempts=attempts, backoff_base=0.01, sleep=sleeps),
                          timeout=(2.0, 2.0))


def tenant_of(sim: Simulator, index: int) -> str:
    return list(sim.tenants)[index]


@pytest.mark.parametrize("kind", ["unavailable", "server_error", "gateway_timeout", "bad_gateway", "throttle"])
def test_token_endpoint_429_and_5xx_are_retried(sim: Simulator, settings, kind: str) -> None:
    tenant = tenant_of(sim, 0)
    sim.add_fault(tenant, Fault(kind, path=TOKEN, times=2, retry_after=None))
    before = sim.token_request_count(tenant)
    token = connector_with(settings, Sleeps()).token(tenant)
    assert token
    assert sim.token_request_count(tenant) - before == 3


def test_a_token_answer_cut_short_is_retried(sim: Simulator, settings) -> None:
    tenant = tenant_of(sim, 2)
    sim.add_fault(tenant, Fault("truncated", path=TOKEN, times=1))
    before = sim.token_request_count(tenant)
    sleeps = Sleeps()
    assert connector_with(settings, sleeps).token(tenant)
    assert sim.token_request_count(tenant) - before == 2 and len(sleeps.waits) == 1


def test_sign_in_unavailable_every_time_says_so_after_n_attempts(sim: Simulator, settings) -> None:
    tenant = tenant_of(sim, 1)
    sim.add_fault(tenant, Fault("unavailable", path=TOKEN, times=None, retry_after=None))
    sleeps = Sleeps()
    with pytest.raises(SignInUnavailableError) as caught:
        connector_with(settings, sleeps, attempts=4).token(tenant)
    text = str(caught.value)
    assert "Microsoft sign-in was unavailable (HTTP 503) after 4 attempts" in text
    assert "MsalServiceError" not in text and "does not know" not in text
    assert caught.value.status == 503
    assert len(sleeps.waits) == 3


@pytest.mark.parametrize(("header", "msal_would_cache"), [(1, 1), (0.5, 5)])
def test_token_retries_reach_the_server_despite_msal_throttle_cache(
        sim: Simulator, settings, header: float, msal_would_cache: int) -> None:
    """MSAL caches a 429 for Retry-After (5 s when fractional): each retry must still be sent."""
    tenant = tenant_of(sim, 2)
    sim.add_fault(tenant, Fault("throttle", path=TOKEN, times=2, retry_after=header))
    before = sim.token_request_count(tenant)
    sleeps = Sleeps()
    started = time.monotonic()
    assert connector_with(settings, sleeps).token(tenant)
    assert sim.token_request_count(tenant) - before == 3  # every attempt reached Entra
    assert sleeps.waits == [header, header]  # the server's Retry-After, honoured
    assert time.monotonic() - started < msal_would_cache  # not blocked by MSAL's cache


def test_a_html_page_from_a_proxy_is_described_not_called_an_unknown_tenant(sim: Simulator, settings) -> None:
    tenant = tenant_of(sim, 0)
    sim.add_fault(tenant, Fault("malformed", path=TOKEN, times=None))
    with pytest.raises(SignInUnavailableError) as caught:
        connector_with(settings, Sleeps(), attempts=2).token(tenant)
    text = str(caught.value)
    assert "does not know this tenant" not in text
    assert "not JSON" in text and "HTTP 200" in text and "text/html" in text
    assert "502 Bad Gateway" in text  # the first line of what came back


def test_a_502_html_page_names_status_content_type_and_first_line(sim: Simulator, settings) -> None:
    tenant = tenant_of(sim, 0)
    sim.add_fault(tenant, Fault("bad_gateway", path=TOKEN, times=None, retry_after=None))
    with pytest.raises(SignInUnavailableError) as caught:
        connector_with(settings, Sleeps(), attempts=2).token(tenant)
    text = str(caught.value)
    assert "unavailable (HTTP 502) after 2 attempts" in text
    assert "text/html" in text and "<html><head><title>502 Bad Gateway" in text


def test_entra_support_ids_are_kept(sim: Simulator, settings) -> None:
    bad = dataclasses.replace(settings, client_secret="definitely-wrong-secret")
    with pytest.raises(SignInError) as caught:
        GraphConnector(bad).token(tenant_of(sim, 0))
    error = caught.value
    ids = error.support
    assert ids.trace_id and ids.correlation_id and ids.timestamp
    assert f"Trace ID {ids.trace_id}" in str(error)
    assert f"Correlation ID {ids.correlation_id}" in str(error)
    assert f"Timestamp {ids.timestamp}" in str(error)
    assert "\n" not in error.message  # the description's first line only; ids kept apart


def test_a_401_evicts_only_that_tenants_token(sim: Simulator, settings) -> None:
    a, b = tenant_of(sim, 0), tenant_of(sim, 1)
    connector = GraphConnector(settings)
    with connector.client(a) as client_a, connector.client(b) as client_b:
        client_a.get("/organization")
        client_b.get("/organization")
        sim.expire_tokens(a)
        before_a, before_b = sim.token_request_count(a), sim.token_request_count(b)
        assert client_a.get("/organization")["value"][0]["id"] == a
    with connector.client(b) as client_b_again:
        assert client_b_again.get("/organization")["value"][0]["id"] == b
    assert sim.token_request_count(a) == before_a + 1
    assert sim.token_request_count(b) == before_b  # b's cached token survived a's 401


def test_a_secret_echoed_by_the_server_is_scrubbed_in_every_form(db_path) -> None:
    secret = "Zx9+/aB=c+d/e==Q~secret+value/with=all"
    simulator = Simulator(generate_tenants(1, seed=3))
    simulator.client_secret = secret
    with simulator:
        tenant = next(iter(simulator.tenants))
        simulator.add_fault(tenant, Fault("echo", path=TOKEN, times=None))
        settings = settings_for(simulator, db_path)
        with pytest.raises(SignInError) as caught:
            GraphConnector(settings).token(tenant)
    text = str(caught.value) + caught.value.message
    assert "could not be understood" in text and "client_secret=" in text  # the echo did arrive
    for form in (secret, quote_plus(secret), quote(secret, safe=""), quote(secret)):
        assert form not in text
    assert "***" in text
