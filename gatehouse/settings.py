"""Configuration read from the environment, once, at each process's entry point."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("identity", "mfa", "tokens", "uploads", "audit")


@dataclass(frozen=True)
class Settings:
    """Everything a Gatehouse process needs to know about where it runs."""

    data_dir: Path
    port: int
    origin: str
    nats_url: str
    database_url: str
    service_database_urls: dict[str, str]
    service_addresses: dict[str, str]
    require_2fa: bool
    token_prefix: str
    stream_name: str
    stream_replicas: int
    smtp_url: str = ""
    mail_from: str = "Gatehouse <gatehouse@localhost>"
    # Sensitive account actions need a login this recent (GATEHOUSE_REAUTH_MINUTES); removing a
    # second factor needs one within 5 minutes.
    reauth_minutes: int = 30
    # Longest API token lifetime in days (None: no maximum, PyPI's default).
    token_max_lifetime_days: int | None = None
    # JSON file {key_id: PEM public key} of secret-scanning partners allowed to report leaks.
    disclosure_keys_file: str = ""
    # Usernames nobody may register, lower-cased (GATEHOUSE_PROHIBITED_USERNAMES, comma-separated).
    prohibited_usernames: frozenset[str] = frozenset()
    # Failed logins allowed per 5 minutes (GATEHOUSE_LOGIN_WINDOW_SECONDS) per user, per client IP
    # and for the whole index (as PyPI); beyond them login answers 429 with Retry-After.
    login_failures_per_user: int = 10
    login_failures_per_ip: int = 10
    login_failures_global: int = 1000
    login_window_seconds: int = 300
    # Where this process's own gRPC server binds (GATEHOUSE_LISTEN_ADDRESS, e.g. `[::]:50051` in
    # a container) when that differs from the address clients dial (GATEHOUSE_<NAME>_ADDRESS,
    # e.g. a Kubernetes Service name). Empty: bind the address clients dial.
    listen_address: str = ""
    # A k-anonymity range API for breached passwords (GATEHOUSE_BREACHED_PASSWORDS_RANGE_URL; the
    # 5-character SHA-1 prefix is appended as a path segment). Empty: only the bundled list.
    breached_passwords_range_url: str = ""
    # New-device check (GATEHOUSE_NEW_DEVICE_CHECK, on by default): a TOTP or recovery-code login
    # from an IP the account never completed a login from waits for a mailed link.
    new_device_check: bool = True
    # Account recovery: the waiting period after the user proved their identity
    # (GATEHOUSE_RECOVERY_WAIT_SECONDS wins over GATEHOUSE_RECOVERY_WAIT_HOURS, default 24 h) and
    # how often identity looks for recoveries that are due (GATEHOUSE_RECOVERY_CHECK_SECONDS).
    recovery_wait_seconds: int = 24 * 3600
    recovery_check_seconds: float = 60.0
    # --- Observability and transport security (see README "Metrics", "Logs" and "mTLS") ---
    # Each service's /metrics port (GATEHOUSE_METRICS_PORT_<SERVICE>, else
    # GATEHOUSE_METRICS_BASE_PORT + the service's index in SERVICES, else 0: a free port,
    # written to $GATEHOUSE_DATA/run/<service>.metrics-port), on GATEHOUSE_METRICS_HOST.
    metrics_ports: dict[str, int] = field(default_factory=dict)
    metrics_host: str = "127.0.0.1"
    # PEM files (GATEHOUSE_TLS_CA, _CERT, _KEY): when all are set, every gRPC server demands a
    # client certificate signed by the CA and every client presents its own.
    tls_ca: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    # Log line format (GATEHOUSE_LOG_FORMAT): "json" or "console"; default json unless a terminal.
    log_format: str = ""

    @property
    def tls_enabled(self) -> bool:
        """Whether gRPC between processes is mutually authenticated TLS."""
        return bool(self.tls_ca and self.tls_cert and self.tls_key)

    def metrics_port_of(self, service: str) -> int:
        """The port `service` serves /metrics on (0: any free port)."""
        return self.metrics_ports.get(service, 0)

    def database_url_for(self, service: str) -> str:
        """The SQLAlchemy URL of `service`'s own database.

        A per-service URL wins; otherwise a shared PostgreSQL URL gets one database
        per service (`<name>_<service>`); otherwise a SQLite file under the data directory.
        """
        if service in self.service_database_urls:
            return self.service_database_urls[service]
        if self.database_url:
            base, _, name = self.database_url.rpartition("/")
            return f"{base}/{name}_{service}"
        return f"sqlite:///{self.data_dir / f'{service}.db'}"

    def address_of(self, service: str) -> str:
        """The gRPC address clients dial to reach `service` (and where it listens by default)."""
        return self.service_addresses[service]

    def secret(self, name: str) -> bytes:
        """A 32-byte secret from GATEHOUSE_<NAME>_KEY (hex), else kept in the data directory.

        The file is created on first use with mode 0600 so a fresh `make run` needs no set-up.
        """
        from_env = os.environ.get(f"GATEHOUSE_{name.upper()}_KEY")
        if from_env:
            return bytes.fromhex(from_env)
        path = self.data_dir / "secrets" / f"{name}.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
        return bytes.fromhex(path.read_text().strip())


def nats_servers(url: str) -> list[str]:
    """`nats://a:4222,nats://b:4222` as a list of URLs (a single URL gives a list of one)."""
    return [part.strip() for part in url.split(",") if part.strip()]


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def load(environ: dict[str, str] | None = None) -> Settings:
    """Builds Settings from environment variables (see README for the list)."""
    env = dict(os.environ if environ is None else environ)
    data_dir = Path(env.get("GATEHOUSE_DATA", "var")).resolve()
    port = int(env.get("GATEHOUSE_PORT", "8080"))
    run_dir = data_dir / "run"
    addresses = {
        name: env.get(f"GATEHOUSE_{name.upper()}_ADDRESS", f"unix:{run_dir / f'{name}.sock'}")
        for name in SERVICES
    }
    database_urls = {
        name: env[f"GATEHOUSE_{name.upper()}_DATABASE_URL"]
        for name in SERVICES
        if env.get(f"GATEHOUSE_{name.upper()}_DATABASE_URL")
    }
    return Settings(
        data_dir=data_dir,
        port=port,
        origin=env.get("GATEHOUSE_ORIGIN", f"http://localhost:{port}").rstrip("/"),
        nats_url=env.get("GATEHOUSE_NATS_URL", ""),
        database_url=env.get("GATEHOUSE_DATABASE_URL", ""),
        service_database_urls=database_urls,
        service_addresses=addresses,
        require_2fa=_flag(env.get("GATEHOUSE_REQUIRE_2FA"), True),
        token_prefix=env.get("GATEHOUSE_TOKEN_PREFIX", "gatehouse-"),
        stream_name=env.get("GATEHOUSE_STREAM", "GATEHOUSE_EVENTS"),
        stream_replicas=int(env.get("GATEHOUSE_STREAM_REPLICAS", "1")),
        smtp_url=env.get("GATEHOUSE_SMTP_URL", ""),
        mail_from=env.get("GATEHOUSE_MAIL_FROM", "Gatehouse <gatehouse@localhost>"),
        reauth_minutes=int(env.get("GATEHOUSE_REAUTH_MINUTES", "30")),
        token_max_lifetime_days=int(env["GATEHOUSE_TOKEN_MAX_LIFETIME_DAYS"])
        if env.get("GATEHOUSE_TOKEN_MAX_LIFETIME_DAYS") else None,
        disclosure_keys_file=env.get("GATEHOUSE_DISCLOSURE_KEYS", ""),
        prohibited_usernames=frozenset(
            name.strip().lower() for name in env.get("GATEHOUSE_PROHIBITED_USERNAMES", "").split(",") if name.strip()
        ),
        login_failures_per_user=int(env.get("GATEHOUSE_LOGIN_FAILURES_PER_USER", "10")),
        login_failures_per_ip=int(env.get("GATEHOUSE_LOGIN_FAILURES_PER_IP", "10")),
        login_failures_global=int(env.get("GATEHOUSE_LOGIN_FAILURES_GLOBAL", "1000")),
        login_window_seconds=int(env.get("GATEHOUSE_LOGIN_WINDOW_SECONDS", "300")),
        listen_address=env.get("GATEHOUSE_LISTEN_ADDRESS", ""),
        breached_passwords_range_url=env.get("GATEHOUSE_BREACHED_PASSWORDS_RANGE_URL", "").strip(),
        new_device_check=_flag(env.get("GATEHOUSE_NEW_DEVICE_CHECK"), True),
        recovery_wait_seconds=int(
            env.get("GATEHOUSE_RECOVERY_WAIT_SECONDS") or float(env.get("GATEHOUSE_RECOVERY_WAIT_HOURS", "24")) * 3600
        ),
        recovery_check_seconds=float(env.get("GATEHOUSE_RECOVERY_CHECK_SECONDS", "60")),
        **_observability(env),
    )


def _metrics_ports(env: dict[str, str]) -> dict[str, int]:
    base = env.get("GATEHOUSE_METRICS_BASE_PORT", "")
    ports = {name: int(base) + index for index, name in enumerate(SERVICES)} if base else {}
    for name in SERVICES:
        if env.get(f"GATEHOUSE_METRICS_PORT_{name.upper()}"):
            ports[name] = int(env[f"GATEHOUSE_METRICS_PORT_{name.upper()}"])
    return ports


def _observability(env: dict[str, str]) -> dict:
    return {
        "metrics_ports": _metrics_ports(env),
        "metrics_host": env.get("GATEHOUSE_METRICS_HOST", "127.0.0.1"),
        "tls_ca": env.get("GATEHOUSE_TLS_CA", ""),
        "tls_cert": env.get("GATEHOUSE_TLS_CERT", ""),
        "tls_key": env.get("GATEHOUSE_TLS_KEY", ""),
        "log_format": env.get("GATEHOUSE_LOG_FORMAT", ""),
    }
