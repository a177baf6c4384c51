"""The simulator's lifecycle and state: start, stop, tenants, faults, counters (transport in transport.py)."""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from .auth import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, CertificateRegistry, TokenStore
from .catalog import PRODUCT_NAMES_PATH
from .certs import create_tls_files
from .counters import RequestCounters
from .endpoints import Dispatcher
from .faults import ANY_TENANT, Fault, FaultBook
from .generator import default_clock, generate_partner_tenant, generate_tenants
from .model import SimulatedTenant, find_tenant
from .transport import TlsServer

__all__ = ["Simulator", "serve_forever", "start_simulator"]

logger = logging.getLogger(__name__)

class Simulator:
    """A running (or startable) simulated Microsoft 365 cloud: Entra sign-in plus Graph v1.0.

    ``tenants`` (customer tenants by id) may be mutated between requests; every response is
    rendered from the current state under ``lock``.
    """

    def __init__(
        self,
        tenants: Iterable[SimulatedTenant] = (),
        *,
        partner: SimulatedTenant | None = None,
        seed: int = 365,
        latency_ms: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: datetime | None = None,
    ) -> None:
        #: "Now" of the generated data (renewal dates are relative to it).
        self.clock: datetime = clock or default_clock()
        self.client_id: str = DEMO_CLIENT_ID
        self.client_secret: str = DEMO_CLIENT_SECRET
        self.latency_ms: int = latency_ms
        self.lock = threading.RLock()
        self.tenants: dict[str, SimulatedTenant] = {t.tenant_id: t for t in tenants}
        self.partner_tenant: SimulatedTenant = partner or generate_partner_tenant(seed, self.clock)
        self.faults = FaultBook()
        self.counters = RequestCounters()
        self.tokens = TokenStore()
        self.certificates = CertificateRegistry()
        self._host = host
        self._port = port
        self._server: TlsServer | None = None
        self._thread: threading.Thread | None = None
        self._tempdir: Path | None = None
        self._dispatcher: Dispatcher | None = None
        self.authority_host: str = ""
        self.graph_url: str = ""
        self.ca_file: str = ""
        self.product_names_url: str = ""  # Microsoft's licensing reference CSV, simulated

    # ------------------------------------------------------------------ lifecycle

    @property
    def partner_tenant_id(self) -> str:
        """Tenant id of the MSP's own tenant (token + ``/contracts``)."""
        return self.partner_tenant.tenant_id

    @property
    def graph_resource(self) -> str:
        """The Graph resource for scopes: the Graph URL without ``/v1.0``."""
        return self.authority_host

    @property
    def port(self) -> int:
        """The bound TCP port (0 before start)."""
        return self._server.server_address[1] if self._server is not None else 0

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def dispatcher(self) -> Dispatcher:
        """The request router (available once started)."""
        if self._dispatcher is None:
            raise RuntimeError("The simulator is not started.")
        return self._dispatcher

    def start(self) -> Simulator:
        """Create the TLS files, bind, and serve on a daemon thread; returns ``self``."""
        if self._server is not None:
            return self
        tempdir = Path(tempfile.mkdtemp(prefix="o365lic-simulator-"))
        try:
            files = create_tls_files(tempdir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(str(files.cert_file), str(files.key_file))
            context.set_alpn_protocols(["http/1.1"])
            server = TlsServer((self._host, self._port), context, self)
        except BaseException:
            shutil.rmtree(tempdir, ignore_errors=True)
            raise
        port = server.server_address[1]
        public_host = "127.0.0.1" if self._host in ("", "0.0.0.0") else self._host
        if ":" in public_host:
            public_host = f"[{public_host}]"
        self._tempdir = tempdir
        self.ca_file = str(files.ca_file)
        self.authority_host = f"https://{public_host}:{port}"
        self.graph_url = f"{self.authority_host}/v1.0"
        self.product_names_url = f"{self.authority_host}{PRODUCT_NAMES_PATH}"
        self._dispatcher = Dispatcher(
            authority_host=self.authority_host,
            lock=self.lock,
            tenants=self.tenants,
            partner=self.partner_tenant,
            client_id=self.client_id,
            client_secret=self.client_secret,
            faults=self.faults,
            counters=self.counters,
            tokens=self.tokens,
            certificates=self.certificates,
            accepted_hosts={f"{public_host}:{port}", f"127.0.0.1:{port}", f"localhost:{port}"},
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"m365-simulator-{port}", daemon=True
        )
        self._thread.start()
        self._wait_until_accepting(public_host.strip("[]"), port)
        return self

    @staticmethod
    def _wait_until_accepting(host: str, port: int, timeout_s: float = 5.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving, close connections, free the port, delete the TLS files. Idempotent."""
        server, thread = self._server, self._thread
        self._server = None
        self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self) -> Self:
        """Start (if needed) and return the simulator."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the simulator."""
        self.stop()

    # ------------------------------------------------------------------ state

    def add_tenant(self, tenant: SimulatedTenant) -> None:
        """Add (or replace) a customer tenant; the partner's ``/contracts`` lists it."""
        with self.lock:
            self.tenants[tenant.tenant_id] = tenant

    def find_tenant(self, key: str) -> SimulatedTenant | None:
        """A customer or the partner tenant, by GUID or verified domain."""
        with self.lock:
            return find_tenant([self.partner_tenant, *self.tenants.values()], key)

    def _tenant_key(self, tenant_id: str) -> str:
        if tenant_id == ANY_TENANT:
            return ANY_TENANT
        tenant = self.find_tenant(tenant_id)
        return tenant.tenant_id if tenant is not None else tenant_id

    def add_fault(self, tenant_id: str, fault: Fault) -> None:
        """Arm ``fault`` for a tenant (GUID, domain, or ``"*"`` for every tenant)."""
        self.faults.add(self._tenant_key(tenant_id), fault)

    def clear_faults(self, tenant_id: str | None = None) -> None:
        """Disarm the faults of one tenant, or all faults."""
        self.faults.clear(None if tenant_id is None else self._tenant_key(tenant_id))

    def request_count(self, tenant_id: str | None = None, path: str | None = None) -> int:
        """Graph requests received, by tenant (of the token) and exact path such as ``/users``."""
        return self.counters.graph(None if tenant_id is None else self._tenant_key(tenant_id), path)

    def token_request_count(self, tenant_id: str | None = None) -> int:
        """Token requests received, by tenant."""
        return self.counters.token(None if tenant_id is None else self._tenant_key(tenant_id))

    def grant_permissions(self, tenant_id: str, permissions: set[str] | frozenset[str]) -> None:
        """Set the Graph application permissions admin-consented in a tenant (GUID or domain)."""
        with self.lock:
            tenant = self.find_tenant(tenant_id)
            if tenant is None:
                raise KeyError(tenant_id)
            tenant.granted_permissions = frozenset(permissions)

    def register_certificate(self, public_cert_pem: bytes) -> str:
        """Register an app certificate for client assertions; returns its SHA-1 thumbprint (hex)."""
        return self.certificates.register(public_cert_pem)

    def expire_tokens(self, tenant_id: str | None = None) -> int:
        """Make issued access tokens expired (Graph then answers 401); returns how many."""
        return self.tokens.expire(None if tenant_id is None else self._tenant_key(tenant_id))


def start_simulator(
    tenants: int = 6,
    users_per_tenant: int | None = None,
    seed: int = 365,
    latency_ms: int = 0,
    port: int = 0,
    host: str = "127.0.0.1",
    clock: datetime | None = None,
) -> Simulator:
    """Generate ``tenants`` customer tenants and start serving them over HTTPS on loopback.

    ``clock`` is "now" of the generated data (default: today, midnight UTC).
    """
    clock = clock or default_clock()
    simulator = Simulator(
        generate_tenants(tenants, seed=seed, users_per_tenant=users_per_tenant, clock=clock),
        partner=generate_partner_tenant(seed, clock),
        clock=clock,
        seed=seed,
        latency_ms=latency_ms,
        host=host,
        port=port,
    )
    return simulator.start()


def serve_forever(
    port: int = 8365,
    tenants: int = 6,
    latency_ms: int = 0,
    seed: int = 365,
    users_per_tenant: int | None = None,
) -> None:
    """Run the simulator in the foreground, print how to reach it, and block until Ctrl-C."""
    simulator = start_simulator(
        tenants=tenants, users_per_tenant=users_per_tenant, seed=seed, latency_ms=latency_ms, port=port
    )
    try:
        lines = [
            "Microsoft 365 simulator running (fictitious demo data).",
            f"  authority host : {simulator.authority_host}",
            f"  graph url      : {simulator.graph_url}",
            f"  CA file        : {simulator.ca_file}",
            f"  client id      : {simulator.client_id}",
            f"  client secret  : {simulator.client_secret}   (demo secret, only valid here)",
            f"  partner tenant : {simulator.partner_tenant_id}  {simulator.partner_tenant.display_name}",
            "  customer tenants:",
        ]
        lines += [
            f"    {tenant.tenant_id}  {tenant.default_domain:<36} {tenant.display_name}"
            for tenant in simulator.tenants.values()
        ]
        lines.append("Press Ctrl-C to stop.")
        print("\n".join(lines), flush=True)
        while simulator.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
