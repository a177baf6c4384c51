"""Sign-in and TLS at many tenants: tokens kept per tenant and bounded, one TLS context shared
by every connection, and that shared context still checks certificates and host names."""

from __future__ import annotations

import dataclasses
import http.server
import ssl
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import o365lic.graph.signin as signin
from o365lic.graph import GraphConnector, SignInError, build_session
from o365lic.graph.tls import certificate_refused
from o365lic.simulator import Simulator, generate_tenants
from o365lic.simulator.certs import create_tls_files
from tests.conftest import settings_for


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"hello": "world"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def localhost_only_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """An HTTPS server on 127.0.0.1 whose certificate names only ``localhost``; yields (port, CA)."""
    files = create_tls_files(tmp_path, hosts=("localhost",))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.cert_file, files.key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], files.ca_file
    finally:
        server.shutdown()
        server.server_close()


def test_the_shared_tls_context_still_checks_the_host_name(localhost_only_server, sim: Simulator,
                                                            db_path: Path) -> None:
    port, ca_file = localhost_only_server
    settings = dataclasses.replace(settings_for(sim, db_path), ca_bundle=ca_file)
    first, second = build_session(settings), build_session(settings)
    assert first.get(f"https://localhost:{port}/").json() == {"hello": "world"}
    assert second.get(f"https://localhost:{port}/").json() == {"hello": "world"}
    # the certificate is trusted but names another host: refused, and called untrusted
    with pytest.raises(requests.exceptions.SSLError) as caught:
        second.get(f"https://127.0.0.1:{port}/")
    assert certificate_refused(caught.value)
    # a session that does not trust this CA refuses the server even by its right name
    with pytest.raises(requests.exceptions.SSLError) as caught:
        build_session(settings_for(sim, db_path)).get(f"https://localhost:{port}/")
    assert certificate_refused(caught.value)


def test_a_session_without_the_ca_bundle_does_not_trust_the_simulator(sim: Simulator, db_path: Path) -> None:
    trusting = build_session(settings_for(sim, db_path))
    assert trusting.get(f"{sim.authority_host}/common/v2.0/.well-known/openid-configuration").status_code == 200
    untrusting = build_session(dataclasses.replace(settings_for(sim, db_path), ca_bundle=None))
    with pytest.raises(requests.exceptions.SSLError):
        untrusting.get(f"{sim.authority_host}/common/v2.0/.well-known/openid-configuration")
    # and the sign-in says so in words, after the trusting sessions shared their context
    with pytest.raises(SignInError, match="not trusted"):
        GraphConnector(dataclasses.replace(settings_for(sim, db_path), ca_bundle=None)).token(next(iter(sim.tenants)))


def test_tokens_are_kept_per_tenant_for_the_most_recent_tenants(own_simulator: Simulator, db_path: Path,
                                                                monkeypatch) -> None:
    sim = own_simulator
    for n, tenant in enumerate(generate_tenants(2, seed=12, users_per_tenant=1)):
        sim.add_tenant(dataclasses.replace(tenant, tenant_id=str(uuid.uuid4()),
                                           domains=[f"extra{n}.onmicrosoft.com"]))
    monkeypatch.setattr(signin, "APPS_KEPT", 1)
    connector = GraphConnector(settings_for(sim, db_path, concurrency=1))  # keeps 4 tenants' apps
    tenants = list(sim.tenants)
    assert len(tenants) == 5
    start = [sim.token_request_count(t) for t in tenants]

    def signed_in() -> list[int]:
        return [sim.token_request_count(t) - s for t, s in zip(tenants, start, strict=True)]

    for tenant in tenants[:4]:
        connector.token(tenant)
    assert signed_in() == [1, 1, 1, 1, 0]
    for tenant in tenants[:4]:  # all four kept: their tokens are reused
        connector.token(tenant)
    assert signed_in() == [1, 1, 1, 1, 0]

    # dropping one tenant's token drops only that tenant's
    assert connector.evict(tenants[2]) == 1
    for tenant in tenants[:4]:
        connector.token(tenant)
    assert signed_in() == [1, 1, 2, 1, 0]

    # a fifth tenant pushes out the least recently used one (the first): it signs in again
    connector.token(tenants[4])
    connector.token(tenants[0])
    connector.token(tenants[3])
    assert signed_in() == [2, 1, 2, 1, 1]
