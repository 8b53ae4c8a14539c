"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The compose file is validated against the Compose specification's JSON schema with check-jsonschema,
using the copy of compose-spec/compose-spec's schema/compose-spec.json that check-jsonschema ships
(`--builtin-schema vendor.compose-spec`), so no network is needed. The rest reads both files and
checks that every module, Celery app and management command they name really exists here.
"""

import ast
import importlib
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.core.management import get_commands
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

APP_SERVICES = ("migrate", "web", "worker", "worker-urgent", "beat")
WORKERS = ("worker", "worker-urgent")
EXPECTED_SERVICES = {"postgres", "pgbouncer", "redis", "mailpit", *APP_SERVICES}
DIRECT_DATABASE_URL = "postgres://hubportal:hubportal@postgres:5432/hubportal"
EXPECTED_ENV = {
    "DEBUG": "0",
    # Web, workers and beat through the pooler in transaction mode; migrate directly (below).
    "DATABASE_URL": "postgres://hubportal:hubportal@pgbouncer:5432/hubportal",
    "DATABASE_POOLER": "transaction",
    "REDIS_URL": "redis://redis:6379/0",
    "EMAIL_HOST": "mailpit",
    "EMAIL_PORT": "1025",
    "ALLOWED_HOSTS": "localhost,127.0.0.1,web",
    "SITE_URL": "http://localhost:8000",
    "CSRF_TRUSTED_ORIGINS": "http://localhost:8000",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "MEDIA_ROOT": "/data/media",
}
# The config file sends the access log to stdout with emailed links' tokens redacted.
GUNICORN = ["gunicorn", "hubportal.wsgi:application", "-c", "hubportal/gunicorn.conf.py", "--bind", "0.0.0.0:8000",
            "--workers", "3"]


def load_compose(text=None):
    return YAML(typ="safe", pure=True).load(COMPOSE.read_text() if text is None else text)


def check_compose_schema(path):
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )


def command_of(service):
    command = load_compose()["services"][service]["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def dockerfile_instructions():
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        current += stripped
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        lines.append(current)
        current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


# --- The compose file ----------------------------------------------------------------------------


def test_compose_file_is_valid_under_the_compose_specification():
    result = check_compose_schema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "broken",
    [
        # A depends_on condition that does not exist.
        "services:\n  a:\n    image: x\n    depends_on:\n      b:\n        condition: service_done\n"
        "  b:\n    image: x\n",
        # A misspelt key reaching a service through an anchor merge, the way ours share settings.
        "x-app: &app\n  image: x\n  enviroment:\n    A: '1'\nservices:\n  a:\n    <<: *app\n",
    ],
    ids=["unknown-condition", "misspelt-key-via-merge"],
)
def test_schema_check_rejects_a_broken_compose_file(tmp_path, broken):
    """The validation above is not vacuous: the same check fails files Compose would refuse."""
    path = tmp_path / "docker-compose.yml"
    path.write_text(broken)
    result = check_compose_schema(path)
    assert result.returncode != 0
    assert "Schema validation errors" in result.stdout, result.stdout + result.stderr


def test_compose_runs_the_expected_services():
    assert set(load_compose()["services"]) == EXPECTED_SERVICES


def test_app_services_share_one_environment():
    compose = load_compose()
    shared = compose["x-app-env"]
    for name in APP_SERVICES:
        if name == "migrate":
            continue
        assert compose["services"][name]["environment"] == shared, name
    # Migrations take the same environment but connect straight to PostgreSQL, not through PgBouncer.
    assert compose["services"]["migrate"]["environment"] == {**shared, "DATABASE_URL": DIRECT_DATABASE_URL,
                                                              "DATABASE_POOLER": ""}
    assert {key: shared[key] for key in EXPECTED_ENV} == EXPECTED_ENV
    # A default for local compose, overridable from the shell or .env.
    assert re.fullmatch(r"\$\{SECRET_KEY:-[^}]+\}", shared["SECRET_KEY"])


def test_settings_accept_the_compose_environment(tmp_path):
    """Django, started with exactly the compose environment, reads it as the comments say."""
    env = {key: str(value) for key, value in load_compose()["x-app-env"].items()}
    env["SECRET_KEY"] = re.fullmatch(r"\$\{SECRET_KEY:-([^}]+)\}", env["SECRET_KEY"]).group(1)
    # Settings create these folders on import; keep them off the real /data.
    env.update(MEDIA_ROOT=str(tmp_path / "media"), VAR_DIR=str(tmp_path / "var"))
    env.update(PATH=os.environ.get("PATH", ""), PYTHONPATH=str(ROOT),
               DJANGO_SETTINGS_MODULE="hubportal.settings")
    probe = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'],"
        "'server_side_cursors_off': s.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS', False),"
        "'broker': s.CELERY_BROKER_URL, 'email': [s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT],"
        "'ssl_redirect': s.SECURE_SSL_REDIRECT, 'secure_cookies': [s.SESSION_COOKIE_SECURE,"
        "s.CSRF_COOKIE_SECURE], 'hosts': s.ALLOWED_HOSTS}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "debug": False,
        "engine": "django.db.backends.postgresql",
        "server_side_cursors_off": True,
        "broker": "redis://redis:6379/0",
        "email": ["django.core.mail.backends.smtp.EmailBackend", "mailpit", 1025],
        "ssl_redirect": False,
        "secure_cookies": [False, False],
        "hosts": ["localhost", "127.0.0.1", "web"],
    }


def test_web_waits_for_migrations_and_redis_and_checks_health():
    services = load_compose()["services"]
    web = services["web"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "8000:8000" in web["ports"]
    assert "http://localhost:8000/healthz" in " ".join(web["healthcheck"]["test"])
    assert all("media:/data/media" in services[name]["volumes"] for name in ("web", *WORKERS))


def test_web_workers_and_beat_wait_for_the_pooler_which_waits_for_postgres_in_transaction_mode():
    services = load_compose()["services"]
    pgbouncer = services["pgbouncer"]
    assert pgbouncer["environment"]["POOL_MODE"] == "transaction"
    assert pgbouncer["environment"]["DB_HOST"] == "postgres"
    assert pgbouncer["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in pgbouncer["healthcheck"]["test"]
    for name in ("web", *WORKERS, "beat"):
        assert services[name]["depends_on"]["pgbouncer"]["condition"] == "service_healthy", name


# --- What the Dockerfile and compose commands name exists ----------------------------------------


def test_gunicorn_command_names_a_real_wsgi_application():
    cmds = [json.loads(args) for name, args in dockerfile_instructions() if name == "CMD"]
    assert cmds[-1] == GUNICORN
    assert command_of("web") == GUNICORN
    module, attribute = GUNICORN[1].split(":")
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin
    tree = ast.parse(Path(spec.origin).read_text())
    assigned = {target.id for node in tree.body if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    assert attribute in assigned


def test_celery_commands_name_the_real_app_and_scheduler():
    for service in (*WORKERS, "beat"):
        command = command_of(service)
        app_module = command[command.index("-A") + 1]
        assert importlib.import_module(f"{app_module}.celery").app.main == app_module
    beat = command_of("beat")
    module, attribute = beat[beat.index("--scheduler") + 1].split(":")
    assert getattr(importlib.import_module(module), attribute)


def test_migrate_service_runs_management_commands_that_exist():
    script = " ".join(command_of("migrate"))
    named = re.findall(r"manage\.py\s+([\w-]+)", script)
    assert named == ["migrate", "load_demo"]
    missing = [name for name in named if name not in get_commands()]
    assert not missing, f"management commands not found: {missing}"


def test_dockerfile_copies_what_exists_and_installs_the_project_packages():
    instructions = dockerfile_instructions()
    copied = []
    for name, args in instructions:
        if name != "COPY" or "--from=" in args:
            continue
        *sources, _destination = args.split()
        copied += [source.rstrip("/") for source in sources if source != "."]
    for source in copied:
        assert (ROOT / source).exists(), source
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in include}
    assert packages <= set(copied)
    assert any(name == "RUN" and "pip install ." in args for name, args in instructions)
    collectstatic = [args for name, args in instructions if name == "RUN" and "collectstatic" in args]
    assert collectstatic and "SECRET_KEY=" in collectstatic[0]
    users = [args for name, args in instructions if name == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert ("EXPOSE", "8000") in instructions


def test_worker_and_beat_have_healthchecks_that_run_a_real_heartbeat_command():
    services = load_compose()["services"]
    for name in (*WORKERS, "beat"):
        test = services[name]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "manage.py"]
        command, argument = test[3], test[4]
        assert command in get_commands(), f"{name}: no management command {command}"
        # Every worker writes the one "worker" heartbeat (hubportal/heartbeats.py).
        assert argument == ("worker" if name in WORKERS else name)


def test_the_worker_takes_the_urgent_queue_before_the_default_one():
    from hubportal.outbox import NORMAL_QUEUE, URGENT_QUEUE

    for command in (command_of("worker"),
                    shlex.split(next(line for line in (ROOT / "Procfile").read_text().splitlines()
                                     if line.startswith("worker:")).split(":", 1)[1])):
        assert command[command.index("-Q") + 1] == f"{URGENT_QUEUE},{NORMAL_QUEUE}"


def test_a_second_worker_takes_only_the_urgent_queue_and_redis_serves_queues_in_turn(tmp_path):
    from hubportal.outbox import URGENT_QUEUE

    command = command_of("worker-urgent")
    assert command[command.index("-Q") + 1] == URGENT_QUEUE
    # Its own node name, so two workers on one host do not clash.
    assert command[command.index("-n") + 1].startswith(f"{URGENT_QUEUE}@")
    # kombu's "priority" queue order goes by hash seed (commit 25fac32): the settings leave round robin.
    probe = ("import json, django; django.setup(); from django.conf import settings as s;"
             "print(json.dumps(s.CELERY_BROKER_TRANSPORT_OPTIONS.get('queue_order_strategy')))")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "hubportal.settings",
           "DEBUG": "1", "REDIS_URL": "redis://redis:6379/0", "VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) is None
