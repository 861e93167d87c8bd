from gatehouse.settings import load, nats_servers


from gatehouse.settings import SERVICES, load


def test_defaults_are_sqlite_files_and_unix_sockets_under_the_data_dir(tmp_path):
    settings = load({"GATEHOUSE_DATA": str(tmp_path)})
    assert settings.database_url_for("tokens") == f"sqlite:///{tmp_path / 'tokens.db'}"
    assert settings.address_of("audit") == f"unix:{tmp_path / 'run' / 'audit.sock'}"
    assert settings.origin == "http://localhost:8080" and settings.require_2fa


def test_a_shared_postgresql_url_gives_each_service_its_own_database(tmp_path):
    settings = load({"GATEHOUSE_DATA": str(tmp_path), "GATEHOUSE_DATABASE_URL": "postgresql://postgres@db:5432/gh",
                     "GATEHOUSE_MFA_DATABASE_URL": "postgresql://other/mfa"})
    assert settings.database_url_for("identity") == "postgresql://postgres@db:5432/gh_identity"
    assert settings.database_url_for("mfa") == "postgresql://other/mfa"


def test_secrets_are_generated_once_and_kept(tmp_path):
    settings = load({"GATEHOUSE_DATA": str(tmp_path)})
    assert settings.secret("session") == settings.secret("session")
    assert len(settings.secret("session")) == 32
    assert (tmp_path / "secrets" / "session.key").stat().st_mode & 0o077 == 0


def test_a_nats_url_may_list_the_servers_of_a_cluster():
    assert nats_servers("nats://a:4222, nats://b:4222,,nats://c:4222") == ["nats://a:4222", "nats://b:4222", "nats://c:4222"]
    assert nats_servers("nats://127.0.0.1:4222") == ["nats://127.0.0.1:4222"]


def test_the_listen_address_is_separate_from_the_address_clients_dial(tmp_path):
    settings = load({"GATEHOUSE_DATA": str(tmp_path), "GATEHOUSE_AUDIT_ADDRESS": "audit:50051",
                     "GATEHOUSE_LISTEN_ADDRESS": "[::]:50051"})
    assert settings.address_of("audit") == "audit:50051"
    assert settings.listen_address == "[::]:50051"
    assert load({"GATEHOUSE_DATA": str(tmp_path)}).listen_address == ""


def test_the_breached_passwords_range_api_is_off_unless_a_url_is_set():
    assert load({}).breached_passwords_range_url == ""
    configured = load({"GATEHOUSE_BREACHED_PASSWORDS_RANGE_URL": " http://127.0.0.1:9/range "})
    assert configured.breached_passwords_range_url == "http://127.0.0.1:9/range"


def test_metrics_ports_come_from_a_base_port_overridden_per_service():
    settings = load({"GATEHOUSE_METRICS_BASE_PORT": "9300", "GATEHOUSE_METRICS_PORT_AUDIT": "9999"})
    assert [settings.metrics_port_of(name) for name in SERVICES] == [9300, 9301, 9302, 9303, 9999]
    assert load({}).metrics_port_of("uploads") == 0  # a free loopback port by default
    assert load({}).metrics_host == "127.0.0.1"


def test_mtls_is_on_only_when_ca_certificate_and_key_are_all_set():
    files = {"GATEHOUSE_TLS_CA": "ca.pem", "GATEHOUSE_TLS_CERT": "c.pem", "GATEHOUSE_TLS_KEY": "k.pem"}
    assert load(files).tls_enabled
    assert not load({**files, "GATEHOUSE_TLS_KEY": ""}).tls_enabled
