"""No traceback reaches the terminal: every fault is one line on stderr and the README's exit code."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from o365lic.cli import main
from o365lic.graph import GraphError
from o365lic.simulator import Simulator
from o365lic.store import (
    IntegrationError,
    Store,
    add_integration,
    get_integration,
    update_integration,
)
from o365lic.text import secret_forms
from tests.conftest import connect_all

REPO = Path(__file__).resolve().parents[1]
HEADER = "Organization,Tenant ID,License,SKU,Status,Active,Consumed,Unused,Last Synced"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def one_clear_line(err: str) -> str:
    """The error output is exactly one line, no traceback; returns it."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "_duckdb." not in err
    return lines[0]


def configure(monkeypatch: pytest.MonkeyPatch, sim: Simulator, db_path: Path, secret: str | None = None) -> None:
    monkeypatch.setenv("O365LIC_DB", str(db_path))
    monkeypatch.setenv("O365LIC_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("O365LIC_CLIENT_SECRET", secret or sim.client_secret)
    monkeypatch.setenv("O365LIC_AUTHORITY_HOST", sim.authority_host)
    monkeypatch.setenv("O365LIC_GRAPH_URL", sim.graph_url)
    monkeypatch.setenv("O365LIC_CA_BUNDLE", sim.ca_file)
    monkeypatch.setenv("O365LIC_PARTNER_TENANT", sim.partner_tenant_id)


def demo_env(db_path: Path) -> dict[str, str]:
    """The environment of a subprocess in demo mode with its database at ``db_path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("O365LIC_")}
    env.update(PYTHONPATH=str(REPO), O365LIC_DB=str(db_path))
    return env


@pytest.fixture
def connected(sim: Simulator, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    configure(monkeypatch, sim, db_path)
    store = Store(db_path)
    connect_all(store, sim)
    return store


# --- a damaged database -------------------------------------------------------------------

@pytest.mark.parametrize("keep", [7, 4096, 1 / 8])
def test_a_truncated_database_is_one_line_on_every_command(
    keep: float, connected: Store, db_path: Path, sim: Simulator
) -> None:
    tenant = next(iter(sim.tenants))
    assert run("tenants", "pause", tenant)[0] == 0
    data = db_path.read_bytes()
    size = int(len(data) * keep) if keep < 1 else int(keep)
    db_path.write_bytes(data[:size])
    for argv in (["tenants", "list"], ["export"], ["sync"], ["audit"], ["tenants", "resume", tenant],
                 ["disconnect", tenant, "--keep-data"]):
        code, _, err = run(*argv)
        assert code == 1, (argv, err)
        line = one_clear_line(err)
        assert line.startswith("error: ") and str(db_path) in line, line


def test_a_truncated_database_through_a_real_process(db_path: Path, tmp_path: Path) -> None:
    env = demo_env(db_path)
    first = subprocess.run([sys.executable, "-m", "o365lic", "tenants", "list"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 8])
    result = subprocess.run([sys.executable, "-m", "o365lic", "export"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert "cannot" in one_clear_line(result.stderr)


# --- bad input ------------------------------------------------------------------------------

def test_an_interval_beyond_a_year_is_refused_and_changes_nothing(connected: Store, sim: Simulator) -> None:
    tenant = next(iter(sim.tenants))
    for minutes in ("3000000000", "525601", "0", "-5"):
        code, _, err = run("tenants", "interval", tenant, "--minutes", minutes)
        assert code == 1
        assert "from 1 to 525600" in one_clear_line(err)
    assert get_integration(connected, tenant).sync_interval_minutes == 60
    with pytest.raises(IntegrationError, match="at most 525600 minutes"):
        update_integration(connected, tenant, sync_interval_minutes=3_000_000_000)
    with pytest.raises(IntegrationError, match="at most 525600 minutes"):
        add_integration(connected, "00000000-0000-0000-0000-000000000009", "X", sync_interval_minutes=525_601)
    assert run("tenants", "interval", tenant, "--minutes", "525600")[0] == 0
    assert get_integration(connected, tenant).sync_interval_minutes == 525_600


def test_an_interval_that_is_not_a_number_is_a_usage_error(connected: Store, sim: Simulator) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run("tenants", "interval", next(iter(sim.tenants)), "--minutes", "soon")
    assert exit_info.value.code == 2


# --- files --------------------------------------------------------------------------------

def test_export_to_a_folder_a_full_disk_or_under_a_file(connected: Store, tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me")
    cases = {tmp_path: "is a folder", Path("/dev/full"): "disk is full",
             a_file / "licenses.csv": f"{a_file} is a file, not a folder"}
    for target, reason in cases.items():
        if target == Path("/dev/full") and not target.exists():
            continue
        for costs in ([], ["--costs"]):  # the licenses and the cost CSV are written alike
            code, out, err = run("export", *costs, "--out", str(target))
            assert code == 1 and out == ""
            line = one_clear_line(err)
            assert line.startswith(f"error: cannot write {target}") and reason in line, (costs, line)
    assert a_file.read_text() == "keep me"


def test_a_database_path_under_a_file_or_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    monkeypatch.setenv("O365LIC_DB", str(a_file / "sub" / "o365lic.duckdb"))
    code, _, err = run("tenants", "list")
    assert code == 1 and f"{a_file} is a file, not a folder" in one_clear_line(err)
    monkeypatch.setenv("O365LIC_DB", str(tmp_path))
    code, _, err = run("export")
    assert code == 1 and "is a folder, not a file" in one_clear_line(err)
    assert a_file.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_database_in_a_read_only_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        monkeypatch.setenv("O365LIC_DB", str(folder / "o365lic.duckdb"))
        code, _, err = run("tenants", "list")
        assert code == 1 and "not writable" in one_clear_line(err)
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(not Path("/sys/fs").is_dir(), reason="needs Linux sysfs")
def test_a_database_in_a_folder_where_no_file_can_be_created(monkeypatch: pytest.MonkeyPatch) -> None:
    """/sys/fs refuses new files even to root: the unwritable folder the chmod test cannot make."""
    target = "/sys/fs/o365lic-test.duckdb"
    monkeypatch.setenv("O365LIC_DB", target)
    for argv in (["tenants", "list"], ["export"], ["sync"]):
        code, out, err = run(*argv)
        assert code == 1 and out == ""
        line = one_clear_line(err)
        assert line.startswith("error: cannot") and target in line and (
            "not writable" in line or "Permission denied" in line), line
    assert not Path(target).exists()


def test_a_sync_lock_that_cannot_be_created(connected: Store, db_path: Path) -> None:
    """The lock file beside the database cannot be opened (here a folder is in its place)."""
    Path(f"{db_path}.sync.lock").mkdir()
    code, out, err = run("sync")
    assert code == 1 and out == ""
    line = one_clear_line(err)
    assert line.startswith("error: cannot ") and ".sync.lock" in line and "writable" in line
    code, out, _ = run("tenants", "list")  # listing does not need the lock
    assert code == 0 and "Never synced" in out


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_sync_lock_in_a_read_only_folder(connected: Store, db_path: Path) -> None:
    db_path.parent.chmod(0o500)
    try:
        code, _, err = run("sync")
        assert code == 1 and "permission denied" in one_clear_line(err)
    finally:
        db_path.parent.chmod(0o700)


def test_simulate_on_a_port_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = run("simulate", "--port", str(port))
    assert code == 1 and f"port {port} is in use" in one_clear_line(err)


# --- standard output closed, Ctrl-C -----------------------------------------------------------

def test_export_to_a_closed_pipe_exits_quietly(db_path: Path, tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "o365lic", "export"], env=demo_env(db_path), cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before anything is written (`| head -0`)
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert err == ""


def test_export_with_stdout_closed_exits_quietly(db_path: Path, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "o365lic", "export"], env=demo_env(db_path), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
                            preexec_fn=lambda: os.close(1))
    assert result.returncode == 1 and result.stderr == ""
    # the database was not written through the closed descriptor: it still opens
    code = subprocess.run([sys.executable, "-m", "o365lic", "export", "--out", str(tmp_path / "x.csv")],
                          env=demo_env(db_path), cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert code.returncode == 0, code.stderr
    assert (tmp_path / "x.csv").read_text().splitlines()[0] == HEADER


def test_ctrl_c_in_process_is_one_line_and_130(connected: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("o365lic.cli.commands.sync_tenants", interrupted)
    code, _, err = run("sync")
    assert code == 130 and err == "interrupted\n"


def test_ctrl_c_during_a_real_sync(own_simulator: Simulator, db_path: Path, tmp_path: Path) -> None:
    store = Store(db_path)
    connect_all(store, own_simulator)
    own_simulator.latency_ms = 400
    env = demo_env(db_path)
    env.update(O365LIC_CLIENT_ID=own_simulator.client_id, O365LIC_CLIENT_SECRET=own_simulator.client_secret,
               O365LIC_AUTHORITY_HOST=own_simulator.authority_host, O365LIC_GRAPH_URL=own_simulator.graph_url,
               O365LIC_CA_BUNDLE=own_simulator.ca_file, O365LIC_PRODUCT_NAMES_URL=own_simulator.product_names_url)
    process = subprocess.Popen([sys.executable, "-m", "o365lic", "sync"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while own_simulator.token_request_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert own_simulator.token_request_count() > 0, "the sync never started"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, (out, err)
    assert err.strip().splitlines() == ["interrupted"]


# --- secrets --------------------------------------------------------------------------------

SECRET = "Zx8Q~a+b/c=d+e/f=gh"


def test_a_secret_echoed_url_encoded_never_reaches_the_terminal(
    sim: Simulator, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, sim, db_path, secret=SECRET)
    assert quote(SECRET, safe="") != SECRET and quote_plus(SECRET) != SECRET

    def echoing_server(settings: object) -> list[dict[str, str]]:
        raise GraphError(f"bad request body: client_id=x&client_secret={quote_plus(SECRET)}&scope=y "
                         f"(also {quote(SECRET, safe='')} and {SECRET})", tenant_id="partner", call="GET /contracts")

    monkeypatch.setattr("o365lic.cli.tenants.discover_tenants", echoing_server)
    code, out, err = run("tenants", "discover")
    assert code == 1 and "***" in one_clear_line(err)
    for form in secret_forms(SECRET):
        assert form not in out + err

    def echoing_names(settings: object) -> list[dict[str, str]]:
        return [{"tenant_id": "11111111-1111-1111-1111-111111111111", "domain": "x.example",
                 "name": f"echo {quote_plus(SECRET)}"}]

    monkeypatch.setattr("o365lic.cli.tenants.discover_tenants", echoing_names)
    code, out, err = run("tenants", "discover")
    assert code == 0 and "echo ***" in out
    for form in secret_forms(SECRET):
        assert form not in out + err


def test_an_unexpected_error_is_still_one_line(connected: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("something nobody foresaw\nsecond line")

    monkeypatch.setattr("o365lic.cli.tenants.list_integrations", broken)
    code, _, err = run("tenants", "list")
    assert code == 1
    assert one_clear_line(err) == "error: unexpected TypeError: something nobody foresaw; second line"
