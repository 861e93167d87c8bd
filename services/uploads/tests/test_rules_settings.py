"""The operator's settings for the project and file rules, and the migration that backs them."""

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from services.uploads.bootstrap import MIGRATIONS, upload_rules
from services.uploads.domain.limits import ONE_GIB
from services.uploads.domain.names import fold_confusable


def test_defaults_are_pypis():
    rules = upload_rules({})
    assert (rules.max_project_size, rules.projects_per_user_per_hour, rules.projects_per_ip_per_hour,
            rules.release_open_days, rules.prohibited_project_names) == (10 * ONE_GIB, 20, 40, 14, frozenset())


def test_every_rule_is_configurable_and_prohibited_names_come_from_a_list_and_a_file(tmp_path):
    names_file = tmp_path / "prohibited.txt"
    names_file.write_text("# reserved by the operator\ninternal-tools\n\nCompany.SDK  # ours\n")
    rules = upload_rules({
        "GATEHOUSE_MAX_PROJECT_SIZE": "1000", "GATEHOUSE_PROJECTS_PER_USER_PER_HOUR": "3",
        "GATEHOUSE_PROJECTS_PER_IP_PER_HOUR": "5", "GATEHOUSE_RELEASE_OPEN_DAYS": "30",
        "GATEHOUSE_PROHIBITED_PROJECT_NAMES": "acme, , beta_app",
        "GATEHOUSE_PROHIBITED_PROJECT_NAMES_FILE": str(names_file),
    })
    assert (rules.max_project_size, rules.projects_per_user_per_hour, rules.projects_per_ip_per_hour,
            rules.release_open_days) == (1000, 3, 5, 30)
    assert rules.prohibited_project_names == {fold_confusable(name) for name in
                                              ("acme", "beta-app", "internal-tools", "company-sdk")}


def test_the_migration_folds_existing_names_and_registers_existing_filenames(tmp_path):
    url = f"sqlite:///{tmp_path / 'uploads.db'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = sa.engine.make_url(url)
    command.upgrade(config, "uploads_0001")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO projects VALUES ('p1', 'Hello.World', 'hello-world', 5)"))
        connection.execute(sa.text(
            "INSERT INTO files VALUES ('hello_world-1.0.tar.gz', 'p1', '1.0', 'sdist', 'source', 'a/b', 1, "
            "'', '', 'b2', '', '', 7, 0, '')"))
    command.upgrade(config, "uploads_0003")
    with engine.begin() as connection:
        assert connection.execute(sa.text("SELECT folded_name FROM projects")).scalar() == "he110w0r1d"
        assert connection.execute(sa.text("SELECT * FROM used_filenames")).all() == [
            ("hello_world-1.0.tar.gz", "p1", 7)]
    command.downgrade(config, "uploads_0001")
    engine.dispose()
