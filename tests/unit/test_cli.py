"""The `lsweb` command line: init, create-admin, demo and import-staff."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect

from lsweb.demo import DEMO_PASSWORD, DEMO_SCHOOLS
from lsweb.extensions import db
from lsweb.models import AuditEntry, Role, School, User

STRONG = "a long enough passphrase"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        # Each command is its own process in real use: no transaction of the test's is left open
        # (on SQLite an open one would hold the write lock the command's migration check waits for).
        db.session.remove()
        result = runner.invoke(args=list(args), input=input)
        db.session.remove()
        return result

    return invoke


def user_count() -> int:
    return db.session.scalar(db.select(func.count(User.id)))


def can_sign_in(app, email: str, password: str) -> bool:
    response = app.test_client().post("/login", data={"email": email, "password": password})
    return response.status_code == 303


# init -------------------------------------------------------------------------------------------------

def test_init_can_run_twice(cli):
    for _ in range(2):
        result = cli("init")
        assert result.exit_code == 0, result.output
        assert "Database ready:" in result.output
    assert {"school", "user_account", "audit_entry"} <= set(inspect(db.engine).get_table_names())


def test_init_builds_an_empty_database_and_is_then_idempotent(make_app, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh' / 'new.db'}"
    app = make_app(DATABASE_URL=url)  # no application context pushed: the command pushes its own
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    assert f"Database ready: {url}" in first.output
    second = runner.invoke(args=["init"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert {"school", "user_account", "audit_entry"} <= set(inspect(db.engine).get_table_names())
        assert db.session.scalar(db.select(func.count(User.id))) == 0


# create-admin -----------------------------------------------------------------------------------------

def test_create_admin_with_options(app, cli):
    result = cli("create-admin", "--email", " Boss@Network.example ", "--name", "Alex Boss", "--password", STRONG)
    assert result.exit_code == 0, result.output
    assert "Network admin boss@network.example created." in result.output
    admin = db.session.scalar(db.select(User).where(User.email == "boss@network.example"))
    assert (admin.display_name, admin.role, admin.school_id, admin.active) == (
        "Alex Boss", Role.NETWORK_ADMIN, None, True)
    assert STRONG not in admin.password_hash
    assert can_sign_in(app, "boss@network.example", STRONG)
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "staff.admin_created"))
    assert (entry.actor_id, entry.target) == (None, "boss@network.example")


def test_create_admin_asks_for_what_is_not_given(app, cli):
    result = cli("create-admin", input=f"boss@network.example\nAlex Boss\n{STRONG}\n{STRONG}\n")
    assert result.exit_code == 0, result.output
    assert "Network admin boss@network.example created." in result.output
    assert STRONG not in result.output  # the password is not echoed
    assert can_sign_in(app, "boss@network.example", STRONG)


def test_create_admin_refuses_bad_input(cli):
    for email, name, password, message in (
        ("boss@network.example", "Alex Boss", "short", "Use at least 10 characters."),
        ("boss@network.example", "Alexandra Boss", "alexandra boss", "Choose a password that is not your name "
                                                                     "or email."),
        ("boss@network.example", "Alex Boss", "boss@network.example", "Choose a password that is not your "
                                                                       "name or email."),
        ("not an email", "Alex Boss", STRONG, "“not an email” is not a valid email address."),
        ("boss@network.example", "   ", STRONG, "Enter a name."),
    ):
        result = cli("create-admin", "--email", email, "--name", name, "--password", password)
        assert result.exit_code == 1, result.output
        assert f"Error: {message}" in result.output
    assert user_count() == 0


def test_create_admin_refuses_a_taken_email(cli, factories):
    factories.user(email="boss@network.example", role=Role.TEACHER, school=factories.school())
    result = cli("create-admin", "--email", "BOSS@network.example", "--name", "Alex Boss", "--password", STRONG)
    assert result.exit_code == 1
    assert "Error: Someone already has an account with this email." in result.output
    assert user_count() == 1
    assert db.session.scalar(db.select(User.role)) is Role.TEACHER


# demo -------------------------------------------------------------------------------------------------

def test_demo_creates_two_schools_and_staff_of_every_role(app, cli):
    result = cli("demo")
    assert result.exit_code == 0, result.output
    assert f"Every demo password is: {DEMO_PASSWORD}" in result.output
    assert "admin@demo.local" in result.output
    assert sorted(db.session.scalars(db.select(School.name))) == sorted(DEMO_SCHOOLS)
    users = db.session.scalars(db.select(User)).all()
    assert len(users) == 13
    assert {user.role for user in users} == set(Role)
    assert all(user.active for user in users)
    assert can_sign_in(app, "admin@demo.local", DEMO_PASSWORD)
    assert can_sign_in(app, "teacher5@demo.local", DEMO_PASSWORD)
    assert not can_sign_in(app, "admin@demo.local", "wrong password")


def test_demo_if_empty_leaves_a_filled_database_alone(cli):
    assert cli("demo").exit_code == 0
    before = (user_count(), db.session.scalar(db.select(func.count(School.id))))
    again = cli("demo", "--if-empty")
    assert again.exit_code == 0, again.output
    assert "The demo network is there. Sign in as admin@demo.local" in again.output
    assert (user_count(), db.session.scalar(db.select(func.count(School.id)))) == before
    # Without --if-empty, a second demo is refused rather than added.
    refused = cli("demo")
    assert refused.exit_code == 1
    assert "The database already has users." in refused.output
    assert user_count() == before[0]


def test_demo_is_not_added_to_a_real_database(cli, factories):
    factories.user(factories.school("Hillside Primary"))
    result = cli("demo", "--if-empty")
    assert result.exit_code == 0
    assert "The database already has users; the demo network was not added." in result.output
    assert user_count() == 1
    assert db.session.scalar(db.select(func.count(School.id))) == 1


# import-staff -----------------------------------------------------------------------------------------

@pytest.fixture
def hillside(factories):
    """The school's id (the `cli` helper ends the test's session, detaching objects)."""
    return factories.school("Hillside Primary").id


def write_csv(tmp_path, *lines: str, encoding: str = "utf-8"):
    path = tmp_path / "staff.csv"
    path.write_bytes(("name,email,role\n" + "".join(line + "\n" for line in lines)).encode(encoding))
    return str(path)


GOOD_AND_BAD = (
    "Ana Silva,ana@hillside.example,teacher",
    "Ana Twin,ana@hillside.example,lead",
    "Rob Role,rob@hillside.example,headmaster",
    "Ben Okafor,ben@hillside.example,support staff",
)


def test_import_staff_imports_a_clean_file(cli, tmp_path, hillside):
    path = write_csv(tmp_path, "Ana Silva,ana@hillside.example,teacher", "Ben Okafor,ben@hillside.example,lead")
    result = cli("import-staff", path, "--school", "hillside primary")  # the name in any case
    assert result.exit_code == 0, result.output
    assert "2 rows ready, 0 rows with errors." in result.output
    assert "2 staff imported into Hillside Primary." in result.output
    assert sorted(db.session.scalars(db.select(User.email).where(User.school_id == hillside))) == [
        "ana@hillside.example", "ben@hillside.example"]
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "staff.imported"))
    assert (entry.actor_id, entry.school_id, entry.details) == (None, hillside, "2 added, 0 rows skipped")


def test_import_staff_with_bad_rows_imports_nothing(cli, tmp_path, hillside):
    result = cli("import-staff", write_csv(tmp_path, *GOOD_AND_BAD), "--school", "Hillside Primary")
    assert result.exit_code == 1
    assert "line 3: The same email is on line 2." in result.output
    assert "line 4: Unknown role “headmaster”" in result.output
    assert "2 rows ready, 2 rows with errors." in result.output
    assert "Error: Nothing was imported." in result.output
    assert user_count() == 0


def test_import_staff_skip_bad_imports_only_the_good_rows(cli, tmp_path, hillside):
    result = cli("import-staff", write_csv(tmp_path, *GOOD_AND_BAD), "--school", "Hillside Primary", "--skip-bad")
    assert result.exit_code == 0, result.output
    assert "2 staff imported into Hillside Primary." in result.output
    assert sorted(db.session.scalars(db.select(User.email))) == ["ana@hillside.example", "ben@hillside.example"]
    assert db.session.scalar(db.select(User.display_name).where(User.email == "ana@hillside.example")) == "Ana Silva"


def test_import_staff_explains_an_unknown_school(cli, tmp_path, hillside, factories):
    factories.school("Riverside Academy")
    result = cli("import-staff", write_csv(tmp_path, "Ana Silva,ana@hillside.example,teacher"),
                 "--school", "Nowhere High")
    assert result.exit_code == 1
    assert "Error: No school called “Nowhere High”. Schools: Hillside Primary, Riverside Academy." in result.output
    assert user_count() == 0


def test_import_staff_explains_an_unreadable_file(cli, tmp_path, hillside):
    path = tmp_path / "staff.csv"
    path.write_bytes(b"Staff Code,Known As\nS1,Zoe\n")
    result = cli("import-staff", str(path), "--school", "Hillside Primary")
    assert result.exit_code == 1
    assert "Error: The first line does not say which column is what (missing: email" in result.output
    assert user_count() == 0


def test_import_staff_refuses_a_missing_file_or_school_option(cli, tmp_path, hillside):
    missing = cli("import-staff", str(tmp_path / "nothing.csv"), "--school", "Hillside Primary")
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    no_school = cli("import-staff", write_csv(tmp_path, "Ana Silva,ana@hillside.example,teacher"))
    assert no_school.exit_code == 2
    assert "Missing option '--school'" in no_school.output
    assert user_count() == 0


def test_import_staff_honours_the_row_limit(make_app, tmp_path):
    from tests.factories import Factories

    app = make_app(IMPORT_MAX_ROWS=2)
    with app.app_context():
        Factories(db).school("Hillside Primary")
        db.session.remove()
    path = write_csv(tmp_path, *(f"P{n},p{n}@hillside.example,teacher" for n in range(3)))
    result = app.test_cli_runner().invoke(args=["import-staff", path, "--school", "Hillside Primary"])
    assert result.exit_code == 1
    assert "Error: The file has more than 2 rows; at most 2 can be imported at once." in result.output
    with app.app_context():
        assert db.session.scalar(db.select(func.count(User.id))) == 0


# serve ------------------------------------------------------------------------------------------------

@pytest.fixture
def served(monkeypatch):
    """Stands in for the production server: records that it would have started."""
    calls = []
    monkeypatch.setattr("lsweb.server.serve", lambda *args, **kwargs: calls.append(args))
    return calls


def test_serve_refuses_a_database_with_pending_migrations(make_app, empty_database_url, served, monkeypatch):
    monkeypatch.delenv("LSWEB_AUTO_MIGRATE", raising=False)
    app = make_app(DATABASE_URL=empty_database_url)
    result = app.test_cli_runner().invoke(args=["serve", "--port", "8123"])
    assert result.exit_code == 1
    assert "migration(s) before this version of lsweb can serve it" in result.output
    assert "run `lsweb init` to apply them, or start with `lsweb serve --migrate`" in result.output
    assert served == []
    with app.app_context():
        assert "user_account" not in inspect(db.engine).get_table_names()  # nothing was applied


def test_serve_migrates_when_told_to(make_app, empty_database_url, served, monkeypatch):
    monkeypatch.delenv("LSWEB_AUTO_MIGRATE", raising=False)
    app = make_app(DATABASE_URL=empty_database_url)
    result = app.test_cli_runner().invoke(args=["serve", "--migrate", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served == [("127.0.0.1", 8123, 1, served[0][3])]
    with app.app_context():
        assert "user_account" in inspect(db.engine).get_table_names()


def test_serve_migrates_with_lsweb_auto_migrate(make_app, empty_database_url, served, monkeypatch):
    monkeypatch.setenv("LSWEB_AUTO_MIGRATE", "1")
    app = make_app(DATABASE_URL=empty_database_url)
    result = app.test_cli_runner().invoke(args=["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert len(served) == 1


def test_serve_starts_on_an_up_to_date_database(app, cli, served, monkeypatch):
    monkeypatch.delenv("LSWEB_AUTO_MIGRATE", raising=False)
    result = cli("serve", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert "lsweb is serving on http://127.0.0.1:8123/" in result.output
    assert len(served) == 1


def test_serve_reads_its_server_settings_from_the_settings_object(make_app, served, monkeypatch):
    monkeypatch.setenv("LSWEB_HOST", "127.0.0.2")
    monkeypatch.setenv("LSWEB_PORT", "8765")
    monkeypatch.setenv("LSWEB_THREADS", "32")
    app = make_app()
    assert (app.config["LSWEB"].host, app.config["LSWEB"].port) == ("127.0.0.2", 8765)
    result = app.test_cli_runner().invoke(args=["serve"])
    assert result.exit_code == 0, result.output
    assert served == [("127.0.0.2", 8765, 1, 32)]
    result = app.test_cli_runner().invoke(args=["serve", "--port", "8124"])  # an option wins
    assert served[-1][:2] == ("127.0.0.2", 8124)


def test_version_is_shown_by_the_command():
    from click.testing import CliRunner

    from lsweb import __version__
    from lsweb.cli import main

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"lsweb {__version__}"
