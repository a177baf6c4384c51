"""Issue 7's acceptance: a 50-tenant sync against the simulator with Microsoft's faults switched on.

No tenant loses its previous data, every failed tenant names its cause in words a partner admin
can act on, the secret (``+ / =`` in it) is nowhere in the database bytes, the logs or the
command line's output, no download holds a formula cell, and no traceback reaches a user.
"""

from __future__ import annotations

import csv
import dataclasses
import gc
import io
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest

from o365lic.cli import main
from o365lic.simulator import Fault, Simulator, generate_partner_tenant, generate_tenants
from o365lic.simulator.faults import TOKEN_PATH
from o365lic.simulator.generator import default_clock
from o365lic.store import Store, add_integration, list_integrations
from o365lic.sync import sync_tenants
from o365lic.text import secret_forms
from tests.conftest import fast_connector, settings_for
from tests.test_sync import expected_licenses, stored_licenses

#: A client secret the way Entra issues them: with ``+``, ``/`` and ``=`` that URL-encoding changes.
SECRET = "Q8x~k+Tz/7pW=aB+c/d=="
TENANTS = 50
SEED = 4242
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: Organization names a careless operator or an attacker may type: formulas, control
#: characters, ANSI escapes, Markdown and an image that would call home.
HOSTILE_ORGS = [
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)\x00 Hostile \x1b[31mRed\x1b[0m",
    "-2+3 **bold** [link](http://attacker.example/)",
    "@HYPERLINK(\"http://attacker.example\") ![p](http://attacker.example/pixel.png)",
    "\t=1+1 <script>alert(1)</script>",
]
#: Tenant display names (they come from the customer's tenant on every sync).
HOSTILE_TENANT_NAMES = [
    "=HYPERLINK(\"http://attacker.example\",\"x\")",
    "Fabrikam\x07\x1b]0;title\x07 _em_ `code` # heading",
]


@dataclasses.dataclass(frozen=True)
class Case:
    """What happens to one tenant on the second sync and how its outcome reads."""

    name: str
    arm: Callable[[Simulator, str], None]
    fails: bool
    says: tuple[str, ...] = ()  # every one of these appears in the error (or the warning)


def fault(**kwargs: object) -> Callable[[Simulator, str], None]:
    return lambda sim, tenant_id: sim.add_fault(tenant_id, Fault(**kwargs))  # type: ignore[arg-type]


def grant(*permissions: str) -> Callable[[Simulator, str], None]:
    return lambda sim, tenant_id: sim.grant_permissions(tenant_id, set(permissions))


def revoke_consent(sim: Simulator, tenant_id: str) -> None:
    sim.tenants[tenant_id].consented = False


CASES: list[Case] = [
    Case("429 storm, Retry-After 1", fault(kind="throttle", path="/subscribedSkus", times=None, retry_after=1),
         True, ("GET /subscribedSkus", "Too many requests", "(HTTP 429; gave up after 5 attempts)")),
    Case("429 storm, Retry-After 0.25", fault(kind="throttle", path="/users", times=None, retry_after=0.25),
         True, ("GET /users", "Too many requests", "(HTTP 429; gave up after 5 attempts)")),
    Case("two 429 then answers", fault(kind="throttle", path="/users", times=2, retry_after=0.5), False),
    Case("503 storm", fault(kind="unavailable", path="/subscribedSkus", times=None, retry_after=0.05),
         True, ("GET /subscribedSkus", "temporarily unavailable", "(HTTP 503; gave up after 5 attempts)")),
    Case("504 storm", fault(kind="gateway_timeout", path="/organization", times=None), True,
         ("GET /organization", "did not receive a timely response", "(HTTP 504; gave up after 5 attempts)")),
    Case("500 storm", fault(kind="server_error", path="/directory/subscriptions", times=None, retry_after=0.05),
         True, ("GET /directory/subscriptions", "internal server error", "(HTTP 500; gave up after 5 attempts)")),
    Case("two 503 then answers", fault(kind="unavailable", path="/users", times=2, retry_after=0.05), False),
    Case("truncated JSON", fault(kind="truncated", path="/users", times=None), True,
         ("GET /users", "connection broke", "gave up after 5 attempts")),
    Case("malformed JSON", fault(kind="malformed", path="/subscribedSkus", times=None), True,
         ("GET /subscribedSkus", "not a JSON object", "gave up after 5 attempts")),
    Case("one truncated answer", fault(kind="truncated", path="/subscribedSkus", times=1), False),
    Case("sign-in 503 storm", fault(kind="unavailable", path=TOKEN_PATH, times=None, retry_after=0.05), True,
         ("Microsoft sign-in was unavailable (HTTP 503) after 5 attempts", "Trace ID", "Correlation ID")),
    Case("sign-in 429 storm, Retry-After 1", fault(kind="throttle", path=TOKEN_PATH, times=None, retry_after=1),
         True, ("Microsoft sign-in was unavailable (HTTP 429)",)),
    Case("sign-in 429 twice, Retry-After 0.5", fault(kind="throttle", path=TOKEN_PATH, times=2, retry_after=0.5),
         False),
    Case("sign-in 500 once", fault(kind="server_error", path=TOKEN_PATH, times=1, retry_after=0.05), False),
    Case("sign-in HTML page", fault(kind="bad_gateway", path=TOKEN_PATH, times=None, retry_after=0.05), True,
         ("Microsoft sign-in was unavailable (HTTP 502) after 5 attempts", "text/html", "Bad Gateway")),
    Case("revoked secret", fault(kind="signin_failure", times=None), True,
         ("the client secret or certificate was refused", "invalid_client")),
    Case("consent withdrawn", revoke_consent, True, ("admin consent needed",)),
    Case("no Organization.Read.All", grant("User.Read.All"), True,
         ("GET /organization", "grant Organization.Read.All (application) and admin consent in this tenant")),
    Case("no read of subscriptions", grant("LicenseAssignment.Read.All", "User.Read.All", "Directory.ReadWrite.All"),
         False, ("renewal dates and trial flags unavailable", "Insufficient privileges")),
    Case("sign-in echoes the request", fault(kind="echo", path=TOKEN_PATH, times=None), True,
         ("the sign-in request was refused", "client_secret=***")),
    Case("Graph echoes the request", fault(kind="echo", path="/users", times=None), True,
         ("GET /users", "Request_BadRequest")),
    Case("Graph too slow", fault(kind="slow", path="/users", times=None, delay_s=2.5), True,
         ("GET /users", "did not answer in time", "gave up after 5 attempts")),
    Case("Graph slow once", fault(kind="slow", path="/subscribedSkus", times=1, delay_s=2.5), False),
]


def hostile_simulator() -> Simulator:
    """50 small tenants, a secret with ``+ / =``, hostile tenant names; started."""
    clock = default_clock()
    tenants = generate_tenants(TENANTS, seed=SEED, users_per_tenant=3, clock=clock)
    for tenant, name in zip(tenants[-len(HOSTILE_TENANT_NAMES):], HOSTILE_TENANT_NAMES, strict=True):
        tenant.display_name = name
    sim = Simulator(tenants, partner=generate_partner_tenant(SEED, clock), clock=clock, seed=SEED)
    sim.client_secret = SECRET  # before start(): the sign-in endpoint checks this one
    return sim.start()


@pytest.fixture
def hsim() -> Iterator[Simulator]:
    sim = hostile_simulator()
    try:
        yield sim
    finally:
        sim.stop()


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def listed_blocks(out: str) -> dict[str, str]:
    """``tenants list`` output per tenant id (GUID): its line and the indented lines under it."""
    groups: list[list[str]] = []
    for line in out.splitlines():
        if line[:1].isspace() and groups:
            groups[-1].append(line)
        else:
            groups.append([line])
    guid = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
    blocks: dict[str, str] = {}
    for group in groups:
        found = guid.search(group[0])
        if found:
            blocks[found.group(0)] = "\n".join(group)
    return blocks


def test_fifty_tenants_with_faults_keep_their_data_explain_and_leak_nothing(
    hsim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    assert any(c in SECRET for c in "+/=")
    db_path = tmp_path / "o365lic.duckdb"
    store = Store(db_path)
    ids = list(hsim.tenants)
    orgs = {tenant_id: hsim.tenants[tenant_id].display_name for tenant_id in ids}
    # some organizations are named by hand with formulas, control characters and Markdown;
    # the first of them belong to tenants that will fail, the last to ones that land
    for index, name in enumerate(HOSTILE_ORGS):
        orgs[ids[index * 10]] = name
    for tenant_id in ids:
        add_integration(store, tenant_id, orgs[tenant_id])
    settings = settings_for(hsim, db_path, concurrency=8)
    assert settings.client_secret == SECRET

    first = sync_tenants(store, settings)
    assert [r.outcome for r in first] == ["ok"] * TENANTS, [r.line() for r in first if r.outcome != "ok"]
    before = {tenant_id: stored_licenses(store, tenant_id) for tenant_id in ids}
    assert all(before.values())

    # Microsoft's numbers change everywhere, then the faults are switched on across the tenants
    for tenant in hsim.tenants.values():
        index = next(i for i, sku in enumerate(tenant.skus)
                     if sku.capability_status == "Enabled" and sku.applies_to == "User")
        tenant.skus[index] = dataclasses.replace(tenant.skus[index], enabled=tenant.skus[index].enabled + 7)
    assert all(before[t] != expected_licenses(hsim, t) for t in ids)  # a landed re-sync would show
    cases: dict[str, Case] = {}
    for index, case in enumerate(CASES):
        tenant_id = ids[index * 2]  # every other tenant: the ones between sync cleanly
        case.arm(hsim, tenant_id)
        cases[tenant_id] = case

    connector = fast_connector(settings)  # short back-off; a 2 s connect, 1.5 s read timeout
    try:
        second = {r.tenant_id: r for r in sync_tenants(store, settings, connector=connector)}
    finally:
        connector.close()
    assert set(second) == set(ids)

    failed = {t for t, r in second.items() if r.outcome == "error"}
    assert failed == {t for t, c in cases.items() if c.fails}, {
        c.name: second[t].line() for t, c in cases.items() if (second[t].outcome == "error") != c.fails}
    for tenant_id in ids:
        result, case = second[tenant_id], cases.get(tenant_id)
        if tenant_id in failed:
            # a failed tenant keeps exactly what the first sync landed
            assert stored_licenses(store, tenant_id) == before[tenant_id], case
            text = result.error or ""
            assert text and "Traceback" not in text
            for words in case.says if case else ():
                assert words in text, (case.name, text)
        else:
            assert stored_licenses(store, tenant_id) == expected_licenses(hsim, tenant_id), case
            for words in case.says if case else ():
                assert words in (result.warning or ""), (case.name, result.line())
    integrations = {i.tenant_id: i for i in list_integrations(store)}
    for tenant_id in ids:
        expected = "Error" if tenant_id in failed else "OK"
        assert integrations[tenant_id].status == expected, (cases.get(tenant_id), integrations[tenant_id])
        if tenant_id in failed:
            assert integrations[tenant_id].last_error == second[tenant_id].error

    # the command line, configured for the simulator as one configures it for Microsoft
    for name, value in {
        "O365LIC_DB": str(db_path), "O365LIC_CLIENT_ID": hsim.client_id, "O365LIC_CLIENT_SECRET": SECRET,
        "O365LIC_AUTHORITY_HOST": hsim.authority_host, "O365LIC_GRAPH_URL": hsim.graph_url,
        "O365LIC_CA_BUNDLE": hsim.ca_file, "O365LIC_PARTNER_TENANT": hsim.partner_tenant_id,
    }.items():
        monkeypatch.setenv(name, value)
    outputs: list[str] = []
    echo_tenants = [t for t, c in cases.items() if "echoes" in c.name]
    revoked = next(t for t, c in cases.items() if c.name == "revoked secret")
    code, out, err = run_cli("sync", *[a for t in [*echo_tenants, revoked] for a in ("--tenant", t)])
    outputs += [out, err]
    assert code == 1 and out.count("ERROR ") == 3, out + err
    for tenant_id in [*echo_tenants, revoked]:
        assert stored_licenses(store, tenant_id) == before[tenant_id]

    code, out, err = run_cli("tenants", "list")
    outputs += [out, err]
    assert code == 0, err
    blocks = listed_blocks(out)
    for tenant_id in ids:
        block, case = blocks[tenant_id], cases.get(tenant_id)
        assert ("Error" in block.splitlines()[0]) == (tenant_id in failed), block
        for words in case.says if case else ():  # the error (or warning) with its cause, in full
            assert words in block, (case.name, block)

    code, out, err = run_cli("export")
    outputs += [out, err]
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) > TENANTS
    organizations = {row[0] for row in rows[1:]}
    assert "'=cmd|' /C calc'!A0" in organizations  # guarded, not lost
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell
            assert "\x1b" not in cell and "\x00" not in cell and "\x07" not in cell, cell

    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    code, out, err = run_cli("export", "--format", "xlsx", "--out", str(out_dir))
    outputs += [out, err]
    assert code == 0, err
    workbooks = list(out_dir.glob("*.xlsx"))
    assert len(workbooks) == 1
    book = openpyxl.load_workbook(workbooks[0])
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert len(cells) > TENANTS
    # text, numbers and dates only: a formula cell would have data_type "f"
    assert {cell.data_type for cell in cells} <= {"s", "n", "d"}, {
        c.coordinate: c.value for c in cells if c.data_type not in ("s", "n", "d")}
    assert any(str(cell.value).startswith("'=cmd") or cell.value == "=cmd|' /C calc'!A0" for cell in cells)
    book.close()
    workbook_bytes = workbooks[0].read_bytes()

    # no traceback anywhere, no secret in any form: output, logs, files
    captured = capfd.readouterr()
    outputs += [captured.out, captured.err]
    everything = "\n".join(outputs)
    assert "Traceback" not in everything
    logs = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "Traceback" not in caplog.text
    forms = secret_forms(SECRET)
    assert {"Q8x~k%2BTz%2F7pW%3DaB%2Bc%2Fd%3D%3D"} & forms  # the URL-encoded form is checked
    del store
    gc.collect()
    database = b"".join(p.read_bytes() for p in tmp_path.glob("o365lic.duckdb*") if p.is_file())
    assert database
    for form in forms:
        assert form not in everything, form
        assert form not in logs and form not in caplog.text, form
        assert form.encode() not in database, form
        assert form.encode() not in workbook_bytes, form
