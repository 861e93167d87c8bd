from gatehouse.settings import load, nats_servers


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
