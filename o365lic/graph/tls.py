"""HTTPS sessions: timeouts, and trust of an extra CA bundle merged with the public CAs.

The merged bundle is written once into the temp folder under a name keyed by its content
(``o365lic-ca-<sha256>.pem``): every process that needs the same bundle reuses the same file,
so nothing accumulates. A bundle whose extra CA file is gone (a stopped simulator) is deleted
at exit, and bundles unused for :data:`STALE_BUNDLE_S` are removed when a new one is written.

Every session's connections share one TLS context per CA bundle: left to itself, requests
has urllib3 parse the whole CA bundle again for every new connection (~30-60 ms of CPU each,
hundreds of connections in a sync of many tenants). The shared context trusts exactly what
requests would have loaded (the session's ``verify``, or certifi's bundle) and checks host
names the same way.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import ssl
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3.util.ssl_ import create_urllib3_context

from o365lic.config import DEFAULT_TIMEOUT, Settings

__all__ = [
    "BUNDLE_PREFIX",
    "STALE_BUNDLE_S",
    "build_session",
    "merged_ca_bundle",
    "shared_context",
    "untrusted_message",
]

BUNDLE_PREFIX = "o365lic-ca-"
#: A merged bundle not used for this long is deleted by the next process that writes one.
STALE_BUNDLE_S = 7 * 24 * 3600.0


def untrusted_message(origin: str) -> str:
    """The one message for a server certificate that is not trusted."""
    return f"the certificate of {origin} is not trusted (set O365LIC_CA_BUNDLE for a private CA)"


_CERTIFICATE_WORDS = ("certificate", "hostname", "CERTIFICATE_VERIFY_FAILED", "WRONG_VERSION_NUMBER")


def certificate_refused(exc: BaseException) -> bool:
    """True when a TLS failure is about trust (a certificate, a host name), not a broken or slow
    handshake: only the former is worth the "not trusted" message; the latter is retried."""
    return any(word in str(exc) for word in _CERTIFICATE_WORDS)


class _TimeoutSession(requests.Session):
    """A session that gives every request a timeout unless the caller set one."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().request(method, url, *args, **kwargs)


_lock = threading.Lock()
_bundles: dict[tuple[str, float], Path] = {}
_used: dict[Path, Path] = {}  # bundle -> the extra CA file it was made from


def _bundle_dir() -> Path:
    return Path(tempfile.gettempdir())


def _prune_stale(folder: Path, keep: Path) -> None:
    cutoff = time.time() - STALE_BUNDLE_S
    for old in folder.glob(f"{BUNDLE_PREFIX}*.pem"):
        try:
            if old != keep and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass


def merged_ca_bundle(extra: Path) -> str:
    """A file trusting the usual public CAs plus ``extra``, shared by every process needing it."""
    key = (str(extra.resolve()), extra.stat().st_mtime)
    with _lock:
        known = _bundles.get(key)
        if known is not None and known.is_file():
            return str(known)
        import certifi

        parts = [Path(certifi.where()).read_text()]
        env_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if env_bundle and Path(env_bundle).is_file():
            parts.append(Path(env_bundle).read_text())
        parts.append(extra.read_text())
        content = "\n".join(parts).encode()
        folder = _bundle_dir()
        path = folder / f"{BUNDLE_PREFIX}{hashlib.sha256(content).hexdigest()[:32]}.pem"
        if path.is_file() and path.read_bytes() == content:
            os.utime(path)
        else:
            fd, partial = tempfile.mkstemp(prefix=".o365lic-ca-", suffix=".partial", dir=folder)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(content)
                os.replace(partial, path)  # atomic: another process sees the old or the whole file
            except BaseException:
                Path(partial).unlink(missing_ok=True)
                raise
            _prune_stale(folder, path)
        _bundles[key] = path
        _used[path] = extra.resolve()
        return str(path)


@atexit.register
def _remove_orphaned_bundles() -> None:
    """Delete the bundles of this process whose extra CA file no longer exists."""
    for bundle, extra in list(_used.items()):
        if not extra.exists():
            bundle.unlink(missing_ok=True)


_contexts: dict[tuple[str, int, int], ssl.SSLContext] = {}
#: TLS contexts kept at most (one per CA bundle in use; a process rarely has more than two).
_CONTEXTS_KEPT = 8
#: Held while a context is built (~50 ms of CPU), so that 32 threads starting at once build one.
_context_lock = threading.Lock()


def shared_context(verify: object) -> ssl.SSLContext | None:
    """The one TLS context trusting ``verify`` (True: certifi's bundle; a path: that bundle or
    folder), or None when there is nothing to share (no verification, a missing or unreadable
    bundle: requests then raises its usual error)."""
    location = DEFAULT_CA_BUNDLE_PATH if verify is True else verify
    if not isinstance(location, str) or not location:
        return None
    try:
        info = os.stat(location)
    except OSError:
        return None
    key = (location, info.st_mtime_ns, info.st_size)  # a rewritten bundle gets a new context
    context = _contexts.get(key)
    if context is None:
        with _context_lock:  # the first connections of a pool come at once: one parses, the rest wait
            context = _contexts.get(key) or _new_context(key, location)
    return context


def _new_context(key: tuple[str, int, int], location: str) -> ssl.SSLContext | None:
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)  # checks host names
    try:
        if os.path.isdir(location):
            context.load_verify_locations(capath=location)
        else:
            context.load_verify_locations(cafile=location)
    except (OSError, ValueError):
        return None
    with _lock:
        context = _contexts.setdefault(key, context)
        while len(_contexts) > _CONTEXTS_KEPT:  # bundles rewritten or gone: forget the oldest
            del _contexts[next(iter(_contexts))]
    return context


class _SharedTlsAdapter(HTTPAdapter):
    """An adapter whose connections use :func:`shared_context` instead of loading the CA
    bundle each (a client certificate, or no verification, keeps requests' own path)."""

    def build_connection_pool_key_attributes(  # type: ignore[override]
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        context = shared_context(verify) if cert is None and host_params.get("scheme") == "https" else None
        if context is not None:
            pool_kwargs.pop("ca_certs", None)
            pool_kwargs.pop("ca_cert_dir", None)
            pool_kwargs["ssl_context"] = context
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)  # raises requests' error for a missing bundle
        if cert is None and url.lower().startswith("https") and shared_context(verify) is not None:
            conn.ca_certs = None  # the pool's shared context already trusts them
            conn.ca_cert_dir = None


def build_session(
    settings: Settings, timeout: tuple[float, float] = DEFAULT_TIMEOUT, *, pool_size: int = 10
) -> requests.Session:
    """A requests session with timeouts that trusts ``settings.ca_bundle`` as well.

    With an extra CA bundle the session ignores the environment (``trust_env = False``),
    because ``REQUESTS_CA_BUNDLE`` would otherwise replace ``verify``.
    """
    session = _TimeoutSession(timeout)
    adapter = _SharedTlsAdapter(pool_connections=4, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "o365lic/1.0"
    if settings.ca_bundle is not None:
        session.trust_env = False
        session.verify = merged_ca_bundle(Path(settings.ca_bundle))
    return session
