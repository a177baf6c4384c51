"""The Graph client over real HTTPS against the simulator: tokens, retries, paging, errors."""

from __future__ import annotations

import dataclasses
import time
import uuid

import pytest
import requests

from o365lic.graph import (
    GraphConnector,
    GraphError,
    SignInError,
    parse_retry_after,
    resolve_tenant_id,
    validate_tenant_input,
)
from o365lic.simulator import Fault, SimulatedTenant, Simulator, generate_tenants
from tests.conftest import fast_connector, settings_for


@pytest.fixture
def settings(sim: Simulator, db_path):
    return settings_for(sim, db_path)


def _first_tenant(sim: Simulator) -> str:
    return next(iter(sim.tenants))


def test_token_is_fetched_once_and_reused(sim: Simulator, settings) -> None:
    tenant = list(sim.tenants)[1]
    connector = GraphConnector(settings)
    before = sim.token_request_count(tenant)
    for _ in range(3):
        with connector.client(tenant) as client:
            assert client.get("/organization")["value"][0]["id"] == tenant
    assert sim.token_request_count(tenant) - before == 1


def test_wrong_secret_is_a_clear_sign_in_error(sim: Simulator, settings) -> None:
    bad = dataclasses.replace(settings, client_secret="definitely-wrong-secret")
    with pytest.raises(SignInError) as caught:
        GraphConnector(bad).client(_first_tenant(sim)).get("/organization")
    error = caught.value
    assert error.code == "invalid_client"
    assert "secret or certificate was refused" in str(error)
    assert _first_tenant(sim) in str(error)
    assert "definitely-wrong-secret" not in str(error)


def test_unknown_tenant_is_a_clear_sign_in_error(settings) -> None:
    with pytest.raises(SignInError) as caught:
        GraphConnector(settings).token(str(uuid.uuid4()))
    assert caught.value.code in {"invalid_tenant", "invalid_request"}


def test_untrusted_certificate_is_named(sim: Simulator, settings, monkeypatch) -> None:
    untrusting = dataclasses.replace(settings, ca_bundle=None)
    with pytest.raises(SignInError, match="not trusted"):
        GraphConnector(untrusting).token(_first_tenant(sim))


def test_users_are_paged_to_the_end(own_simulator: Simulator, db_path) -> None:
    big = generate_tenants(1, seed=99, users_per_tenant=2500)[0]
    big = dataclasses.replace(big, tenant_id=str(uuid.uuid4()), domains=["bigcorp.onmicrosoft.com"])
    own_simulator.add_tenant(big)
    connector = GraphConnector(settings_for(own_simulator, db_path))
    with connector.client(big.tenant_id) as client:
        pages = list(client.iter_pages("/users", {"$select": "id,userPrincipalName,assignedLicenses", "$top": "999"}))
    assert [len(p) for p in pages] == [999, 999, 502]
    ids = [u["id"] for p in pages for u in p]
    assert len(set(ids)) == 2500
    assert set(pages[0][0]) <= {"id", "userPrincipalName", "assignedLicenses"}
    assert own_simulator.request_count(big.tenant_id, "/users") == 3


def test_429_then_success_honours_retry_after(sim: Simulator, settings) -> None:
    tenant = _first_tenant(sim)
    sim.add_fault(tenant, Fault("throttle", path="/subscribedSkus", times=2, retry_after=0.3))
    with fast_connector(settings).client(tenant) as client:
        started = time.monotonic()
        skus = client.get_all("/subscribedSkus")
        elapsed = time.monotonic() - started
    assert skus
    assert client.stats.retries == 2
    assert elapsed >= 0.6  # waited Retry-After twice, not the 0.01 s back-off


@pytest.mark.parametrize("kind", ["unavailable", "gateway_timeout"])
def test_503_and_504_are_retried(sim: Simulator, settings, kind: str) -> None:
    tenant = _first_tenant(sim)
    sim.add_fault(tenant, Fault(kind, path="/organization", times=2, retry_after=None))
    with fast_connector(settings).client(tenant) as client:
        assert client.get("/organization")["value"][0]["id"] == tenant
    assert client.stats.retries == 2


def test_a_429_storm_gives_up_after_bounded_attempts(sim: Simulator, settings) -> None:
    tenant = _first_tenant(sim)
    sim.add_fault(tenant, Fault("throttle", path="/organization", times=None, retry_after=0.05))
    connector = fast_connector(settings)
    with connector.client(tenant) as client, pytest.raises(GraphError) as caught:
        client.get("/organization")
    assert caught.value.status == 429 and caught.value.code == "TooManyRequests"
    assert "GET /organization" in str(caught.value)
    assert client.stats.requests == connector.max_attempts


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
def test_a_bad_body_once_is_retried(sim: Simulator, settings, kind: str) -> None:
    tenant = _first_tenant(sim)
    sim.add_fault(tenant, Fault(kind, path="/subscribedSkus", times=1))
    with fast_connector(settings).client(tenant) as client:
        assert client.get_all("/subscribedSkus")
    assert client.stats.retries == 1


def test_a_body_that_stays_malformed_fails_clearly(sim: Simulator, settings) -> None:
    tenant = _first_tenant(sim)
    sim.add_fault(tenant, Fault("malformed", path="/subscribedSkus", times=None))
    with fast_connector(settings).client(tenant) as client, pytest.raises(GraphError, match="MalformedResponse"):
        client.get_all("/subscribedSkus")


def test_a_slow_answer_times_out_and_is_retried(sim: Simulator, settings) -> None:
    tenant = _first_tenant(sim)
    sim.add_fault(tenant, Fault("slow", path="/organization", times=1, delay_s=3.0))
    with fast_connector(settings).client(tenant) as client:
        assert client.get("/organization")["value"]
    assert client.stats.retries == 1


def test_graph_errors_carry_code_and_message(sim: Simulator, settings) -> None:
    with GraphConnector(settings).client(_first_tenant(sim)) as client, pytest.raises(GraphError) as caught:
        client.get("/users", {"$top": "1000"})
    assert caught.value.status == 400
    assert caught.value.code == "Request_UnsupportedQuery"
    assert "Invalid page size" in caught.value.message


def test_resolve_a_domain_to_the_tenant_id(sim: Simulator, settings) -> None:
    tenant: SimulatedTenant = next(iter(sim.tenants.values()))
    assert resolve_tenant_id(settings, tenant.domains[0].upper()) == tenant.tenant_id
    assert resolve_tenant_id(settings, tenant.tenant_id) == tenant.tenant_id
    with pytest.raises(SignInError, match="does not know this tenant"):
        resolve_tenant_id(settings, "nobody-here.onmicrosoft.com")


@pytest.mark.parametrize("text", ["", "not a tenant!!", "1234", "contoso", "http://contoso.com", "a" * 300 + ".com"])
def test_bad_tenant_input_is_refused_before_any_request(text: str) -> None:
    with pytest.raises(ValueError, match="is not a tenant id"):
        validate_tenant_input(text)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("2", 2.0), ("0.25", 0.25), (" 1.5 ", 1.5), ("-3", 0.0), ("9999", 120.0), ("soon", None), (None, None),
     ("nan", None)],
)
def test_parse_retry_after(header, seconds) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_as_http_date() -> None:
    from email.utils import formatdate

    waited = parse_retry_after(formatdate(time.time() + 5, usegmt=True))
    assert waited is not None and 3 <= waited <= 6


def test_sign_in_with_a_certificate(sim: Simulator, settings, tmp_path) -> None:
    from o365lic.simulator import make_client_certificate

    key_pem, cert_pem = make_client_certificate()
    thumbprint = sim.register_certificate(cert_pem)
    pem = tmp_path / "app.pem"
    pem.write_bytes(key_pem + cert_pem)
    with_cert = dataclasses.replace(settings, client_secret=None, client_cert=pem,
                                    client_cert_thumbprint=thumbprint)
    with GraphConnector(with_cert).client(_first_tenant(sim)) as client:
        assert client.get("/organization")["value"][0]["id"] == _first_tenant(sim)


def test_an_expired_token_is_renewed_once(sim: Simulator, settings) -> None:
    tenant = list(sim.tenants)[3]
    connector = GraphConnector(settings)
    with connector.client(tenant) as client:
        client.get("/organization")
        sim.expire_tokens(tenant)
        before = sim.token_request_count(tenant)
        assert client.get("/organization")["value"][0]["id"] == tenant
    assert sim.token_request_count(tenant) == before + 1


def test_next_links_naming_another_host_are_rebased_onto_the_graph_url(own_simulator: Simulator, db_path) -> None:
    """The server builds nextLinks with 127.0.0.1; we are configured with localhost."""
    big = generate_tenants(1, seed=5, users_per_tenant=150)[0]
    own_simulator.add_tenant(big)
    settings = dataclasses.replace(
        settings_for(own_simulator, db_path), graph_url=own_simulator.graph_url.replace("127.0.0.1", "localhost"))
    with GraphConnector(settings).client(big.tenant_id) as client:
        pages = list(client.iter_pages("/users", {"$select": "id", "$top": "100"}))
    assert [len(p) for p in pages] == [100, 50]


# --------------------------------------------------------------------------- issue 7: support ids, caps, errors


class _Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_every_request_sends_a_fresh_client_request_id_kept_in_the_error(sim: Simulator, settings) -> None:
    with GraphConnector(settings).client(_first_tenant(sim)) as client:
        errors = []
        for _ in range(2):
            with pytest.raises(GraphError) as caught:
                client.get("/users", {"$top": "1000"})
            errors.append(caught.value)
    first, second = errors
    assert first.client_request_id and second.client_request_id
    assert first.client_request_id != second.client_request_id
    assert str(uuid.UUID(first.client_request_id)) == first.client_request_id
    assert first.request_id and first.date
    text = str(first)
    assert f"request-id {first.request_id}" in text
    assert f"client-request-id {first.client_request_id}" in text
    assert f"date {first.date}" in text


def test_retry_after_above_the_cap_is_cut_and_the_error_says_so(sim: Simulator, settings, caplog) -> None:
    from o365lic.config import MAX_RETRY_AFTER_S
    from o365lic.graph import RetryPolicy, ThrottledError

    tenant = _first_tenant(sim)
    sim.add_fault(tenant, Fault("throttle", path="/organization", times=None, retry_after=300))
    sleeps = _Sleeps()
    connector = GraphConnector(settings, retry=RetryPolicy(max_attempts=3, sleep=sleeps))
    with caplog.at_level("WARNING", logger="o365lic.graph"), connector.client(tenant) as client, \
            pytest.raises(ThrottledError) as caught:
        client.get("/organization")
    assert MAX_RETRY_AFTER_S == 120.0
    assert sleeps.waits == [120.0, 120.0]
    assert "asked to wait 300 s" in str(caught.value) and "at most 120 s" in str(caught.value)
    assert "asked to wait 300 s" in caplog.text


def test_retry_after_below_the_cap_is_honoured_exactly(sim: Simulator, settings) -> None:
    from o365lic.graph import RetryPolicy

    tenant = _first_tenant(sim)
    sim.add_fault(tenant, Fault("throttle", path="/organization", times=1, retry_after=90))
    sleeps = _Sleeps()
    with GraphConnector(settings, retry=RetryPolicy(sleep=sleeps)).client(tenant) as client:
        assert client.get("/organization")["value"]
    assert sleeps.waits == [90.0]


@pytest.mark.parametrize(
    ("status", "name"),
    [(429, "ThrottledError"), (500, "ServiceUnavailableError"), (503, "ServiceUnavailableError"),
     (403, "PermissionDeniedError"), (404, "NotFoundError"), (400, "GraphError")],
)
def test_statuses_map_to_error_classes(status: int, name: str) -> None:
    from o365lic.graph.errors import error_class, kind_of_status

    assert error_class("graph", kind_of_status(status)).__name__ == name
    assert issubclass(error_class("sign-in", kind_of_status(status)), SignInError)


def test_error_messages_never_carry_a_registered_secret() -> None:
    from urllib.parse import quote_plus

    from o365lic.graph import register_secret

    secret = "pq+rs/tu=vw+xyz/Q~1=="
    register_secret(secret)
    error = GraphError(f"echo: client_secret={quote_plus(secret)}&raw={secret}", tenant_id="t", call="GET /x")
    assert secret not in str(error) and quote_plus(secret) not in str(error)
    assert secret not in error.message and "***" in error.message


def test_ca_bundle_files_do_not_accumulate(sim: Simulator, settings, tmp_path, monkeypatch) -> None:
    import subprocess
    import sys
    import tempfile

    from o365lic.graph import tls

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(tls, "_bundles", {})
    for _ in range(2):
        with GraphConnector(settings).client(_first_tenant(sim)) as client:
            assert client.get("/organization")["value"]
        tls._bundles.clear()  # as a new process would start
    script = (
        "import sys; from pathlib import Path; from o365lic.config import Settings; "
        "from o365lic.graph import build_session; "
        "build_session(Settings(ca_bundle=Path(sys.argv[1])))"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", script, str(sim.ca_file)], check=True,
                       env={**__import__("os").environ, "TMPDIR": str(tmp_path)})
    bundles = list(tmp_path.glob("o365lic-ca-*.pem"))
    assert len(bundles) == 1
    assert not list(tmp_path.glob(".o365lic-ca-*"))  # no half-written leftovers


def test_a_bundle_whose_ca_file_is_gone_is_removed_at_exit(sim: Simulator, tmp_path) -> None:
    import os
    import shutil
    import subprocess
    import sys

    ca = tmp_path / "ca" / "private-ca.pem"
    ca.parent.mkdir()
    shutil.copy(sim.ca_file, ca)
    script = (
        "import sys; from pathlib import Path; from o365lic.config import Settings; "
        "from o365lic.graph import build_session; "
        "build_session(Settings(ca_bundle=Path(sys.argv[1]))); Path(sys.argv[1]).unlink()"
    )
    temp = tmp_path / "temp"
    temp.mkdir()
    subprocess.run([sys.executable, "-c", script, str(ca)], check=True, env={**os.environ, "TMPDIR": str(temp)})
    assert not list(temp.glob("o365lic-ca-*.pem"))


@pytest.mark.parametrize("kind", ["server_error", "bad_gateway"])
def test_500_and_a_502_html_page_from_graph_are_retried(sim: Simulator, settings, kind: str) -> None:
    tenant = _first_tenant(sim)
    sim.add_fault(tenant, Fault(kind, path="/organization", times=2, retry_after=None))
    with fast_connector(settings).client(tenant) as client:
        assert client.get("/organization")["value"][0]["id"] == tenant
    assert client.stats.retries == 2


def test_a_slow_tls_handshake_is_a_network_problem_not_an_untrusted_certificate() -> None:
    """A loaded server may time out the handshake: that is retried, never called "not trusted"."""
    from o365lic.graph.tls import certificate_refused

    timed_out = requests.exceptions.SSLError("_ssl.c:989: The handshake operation timed out")
    reset = requests.exceptions.SSLError("EOF occurred in violation of protocol (_ssl.c:2427)")
    untrusted = requests.exceptions.SSLError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in chain")
    assert not certificate_refused(timed_out) and not certificate_refused(reset)
    assert certificate_refused(untrusted)
