"""Settings from the environment and .streamlit/secrets.toml (SPEC section 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from o365lic.config import ConfigError, load_settings


def _secrets(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(body)
    return path


def test_defaults_are_demo_mode(tmp_path: Path) -> None:
    settings = load_settings({}, tmp_path / "missing.toml")
    assert settings.demo_mode
    assert settings.db_path == Path("data/o365lic.duckdb")
    assert settings.authority_host == "https://login.microsoftonline.com"
    assert settings.graph_url == "https://graph.microsoft.com/v1.0"
    assert settings.graph_resource == "https://graph.microsoft.com"
    assert settings.concurrency == 32  # README: 4 requests in flight per tenant at most


def test_secrets_file_section_in_lower_case(tmp_path: Path) -> None:
    path = _secrets(tmp_path, '[o365lic]\nclient_id = "app-1"\nclient_secret = "s3cret-value"\nconcurrency = 4\n')
    settings = load_settings({}, path)
    assert (settings.client_id, settings.client_secret, settings.concurrency) == ("app-1", "s3cret-value", 4)
    assert not settings.demo_mode


def test_environment_wins_over_secrets_file(tmp_path: Path) -> None:
    path = _secrets(tmp_path, '[o365lic]\nclient_id = "from-file"\nclient_secret = "x1234"\ndb = "file.duckdb"\n')
    settings = load_settings({"O365LIC_CLIENT_ID": "from-env", "O365LIC_DB": "env.duckdb"}, path)
    assert settings.client_id == "from-env"
    assert settings.db_path == Path("env.duckdb")


def test_secret_is_not_in_repr(tmp_path: Path) -> None:
    settings = load_settings({"O365LIC_CLIENT_ID": "a", "O365LIC_CLIENT_SECRET": "very-secret-value"}, tmp_path / "x")
    assert "very-secret-value" not in repr(settings)
    assert "very-secret-value" not in str(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"O365LIC_CONCURRENCY": "many"}, "O365LIC_CONCURRENCY must be a whole number"),
        ({"O365LIC_CONCURRENCY": "0"}, "between 1 and 256"),
        ({"O365LIC_AUTHORITY_HOST": "http://login.example"}, "O365LIC_AUTHORITY_HOST must be an https:// URL"),
        ({"O365LIC_GRAPH_URL": "graph.microsoft.com"}, "O365LIC_GRAPH_URL must be an https:// URL"),
        ({"O365LIC_CLIENT_ID": "a"}, "neither O365LIC_CLIENT_SECRET nor O365LIC_CLIENT_CERT"),
        ({"O365LIC_CLIENT_ID": "a", "O365LIC_CLIENT_CERT": "c.pem"}, "O365LIC_CLIENT_CERT_THUMBPRINT"),
        ({"O365LIC_CA_BUNDLE": "/nonexistent/ca.pem"}, "does not exist"),
    ],
)
def test_bad_values_get_a_message_naming_the_setting(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env, tmp_path / "missing.toml")


def test_broken_secrets_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="could not be read"):
        load_settings({}, _secrets(tmp_path, "[o365lic\n"))


def test_trailing_slashes_are_dropped(tmp_path: Path) -> None:
    settings = load_settings({"O365LIC_GRAPH_URL": "https://graph.example/v1.0/",
                              "O365LIC_AUTHORITY_HOST": "https://login.example/"}, tmp_path / "x")
    assert settings.graph_url == "https://graph.example/v1.0"
    assert settings.authority_host == "https://login.example"
