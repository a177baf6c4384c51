"""The HTTPS client of sign-in and Graph calls, over real HTTPS against the simulator:
compressed answers, proxies from the environment, failures as requests' errors."""

from __future__ import annotations

import dataclasses
import select
import socket
import socketserver
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
import urllib3

from o365lic.graph import GraphConnector
from o365lic.graph.http import Answer, HttpClient
from o365lic.graph.tls import build_session, certificate_refused
from o365lic.simulator import Fault, Simulator
from tests.conftest import settings_for


def _tenant(sim: Simulator) -> str:
    return next(iter(sim.tenants))


def _bearer(connector: GraphConnector, tenant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {connector.token(tenant)}"}


def test_graph_answers_come_compressed_and_are_read_whole(sim: Simulator, db_path) -> None:
    tenant = _tenant(sim)
    with GraphConnector(settings_for(sim, db_path)) as connector:
        answer = connector.http.get(f"{sim.graph_url}/users", {"$select": "id,displayName", "$top": "999"},
                                    _bearer(connector, tenant))
        assert answer.status_code == 200
        assert answer.headers["Content-Encoding"] == "gzip"  # as Microsoft's front ends send it
        users = answer.json()["value"]
        assert len(users) == len(sim.tenants[tenant].users)
        assert all(set(user) == {"id", "displayName"} for user in users)
        refused = connector.http.get(f"{sim.graph_url}/users", None,
                                     {**_bearer(connector, tenant), "Accept-Encoding": "gzip;q=0"})
        assert "Content-Encoding" not in refused.headers
        plain = requests.get(f"{sim.graph_url}/users", {"$select": "id,displayName", "$top": "999"},
                             headers={**_bearer(connector, tenant), "Accept-Encoding": "identity"},
                             verify=str(sim.ca_file), timeout=10)
        assert "Content-Encoding" not in plain.headers
        assert plain.json()["value"] == users


def test_params_join_the_query_of_the_url(sim: Simulator, db_path) -> None:
    tenant = _tenant(sim)
    with GraphConnector(settings_for(sim, db_path)) as connector:
        answer = connector.http.get(f"{sim.graph_url}/users?$select=id", {"$top": "1"},
                                    _bearer(connector, tenant))
        body = answer.json()
        assert len(body["value"]) == 1 and set(body["value"][0]) == {"id"}
        missing = connector.http.get(f"{sim.graph_url}/no-such-thing", None, _bearer(connector, tenant))
        assert missing.status_code == 404
        with pytest.raises(requests.HTTPError, match="404 Client Error"):
            missing.raise_for_status()


class _ConnectProxy(socketserver.ThreadingTCPServer):
    """An HTTP proxy that only tunnels (CONNECT), recording where each tunnel went."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Tunnel)
        self.tunnels: list[str] = []


class _Tunnel(socketserver.BaseRequestHandler):
    server: _ConnectProxy

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target = head.split(b" ", 2)[:2]
        if method != b"CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, port = target.decode().rsplit(":", 1)
        self.server.tunnels.append(target.decode())
        with socket.create_connection((host, int(port))) as upstream:
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            ends = [self.request, upstream]
            while True:
                ready, _, _ = select.select(ends, [], [], 10)
                if not ready:
                    return
                for end in ready:
                    data = end.recv(65536)
                    if not data:
                        return
                    (upstream if end is self.request else self.request).sendall(data)


@pytest.fixture
def proxy() -> Iterator[_ConnectProxy]:
    server = _ConnectProxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_proxy_named_in_the_environment_carries_sign_in_and_graph_calls(
        sim: Simulator, db_path, proxy: _ConnectProxy, monkeypatch) -> None:
    tenant = _tenant(sim)
    host = urlsplit(sim.graph_url).netloc
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sim.ca_file))  # no O365LIC_CA_BUNDLE: the environment counts
    settings = dataclasses.replace(settings_for(sim, db_path), ca_bundle=None)
    with GraphConnector(settings) as connector, connector.client(tenant) as client:
        assert client.get("/organization")["value"]
    assert proxy.tunnels and set(proxy.tunnels) == {host}

    proxy.tunnels.clear()
    monkeypatch.setenv("NO_PROXY", urlsplit(sim.graph_url).hostname or "")
    with GraphConnector(settings) as connector, connector.client(tenant) as client:
        assert client.get("/organization")["value"]
    assert proxy.tunnels == []


def test_mistakes_in_the_environment_fail_at_once_as_requests_names_them(
        sim: Simulator, db_path, monkeypatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "CURL_CA_BUNDLE", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    settings = dataclasses.replace(settings_for(sim, db_path), ca_bundle=None)  # the environment counts
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sim.ca_file))
    monkeypatch.setenv("HTTPS_PROXY", "http://:8080")
    with pytest.raises(requests.exceptions.InvalidProxyURL):
        HttpClient(build_session(settings), (2.0, 2.0)).get(f"{sim.graph_url}/organization")
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(db_path.parent / "no-such-ca.pem"))
    with pytest.raises(OSError, match="CA certificate bundle") as missing:
        HttpClient(build_session(settings), (2.0, 2.0)).get(f"{sim.graph_url}/organization")
    assert not isinstance(missing.value, requests.ConnectionError)  # not a network fault to retry


def test_failures_arrive_as_the_requests_errors_callers_handle(sim: Simulator, db_path) -> None:
    tenant = _tenant(sim)
    settings = settings_for(sim, db_path)
    with GraphConnector(settings) as connector:
        bearer = _bearer(connector, tenant)
        http = HttpClient(build_session(settings), (2.0, 0.5))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        with pytest.raises(requests.ConnectionError) as refused:
            http.get(f"https://127.0.0.1:{closed_port}/v1.0/organization")
        assert not isinstance(refused.value, requests.Timeout)

        sim.add_fault(tenant, Fault("slow", path="/organization", times=1, delay_s=2.0))
        with pytest.raises(requests.ReadTimeout):
            http.get(f"{sim.graph_url}/organization", None, bearer)

        sim.add_fault(tenant, Fault("truncated", path="/users", times=1))
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            http.get(f"{sim.graph_url}/users", None, bearer)
        assert http.get(f"{sim.graph_url}/users", None, bearer).json()["value"]  # the next one is whole

        untrusting = build_session(dataclasses.replace(settings, ca_bundle=None))
        untrusting.trust_env = False  # certifi's CAs only, whatever this machine's environment says
        with pytest.raises(requests.exceptions.SSLError) as untrusted:
            HttpClient(untrusting, (2.0, 5.0)).get(f"{sim.graph_url}/organization")
        assert certificate_refused(untrusted.value)
        http.close()


def test_a_pool_closed_under_the_client_is_replaced(sim: Simulator, db_path) -> None:
    tenant = _tenant(sim)
    with GraphConnector(settings_for(sim, db_path)) as connector:
        bearer = _bearer(connector, tenant)
        assert connector.http.get(f"{sim.graph_url}/organization", None, bearer).status_code == 200
        for adapter in connector.http.session.adapters.values():
            adapter.poolmanager.clear()  # as when the pool manager evicts a host's pool
        assert connector.http.get(f"{sim.graph_url}/organization", None, bearer).status_code == 200


@pytest.mark.parametrize(("content_type", "body", "text"), [
    ("application/json; charset=utf-8", "Zoë".encode(), "Zoë"),
    ("text/plain; charset=iso-8859-1", "Zoë".encode("latin-1"), "Zoë"),
    ("text/plain", "Zoë".encode(), "Zoë"),
    ("text/plain; charset=no-such-charset", "Zoë".encode(), "Zoë"),
])
def test_text_is_read_in_the_charset_the_answer_names(content_type: str, body: bytes, text: str) -> None:
    answer = Answer(200, "OK", urllib3.HTTPHeaderDict({"content-type": content_type}), body, "https://x/")
    assert answer.text == text
