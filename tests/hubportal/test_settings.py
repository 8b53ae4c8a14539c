"""The one settings file: strict environment helpers, and a production mode that passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hubportal import settings as settings_module

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789abcdef",
    "ALLOWED_HOSTS": "frontdoor.example.nhs.uk",
    "SITE_URL": "https://frontdoor.example.nhs.uk",
    "DATABASE_URL": "postgres://hubportal@127.0.0.1:5432/hubportal",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _manage(*args, env):
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE",
                          "CSRF_COOKIE_SECURE", "STATICFILES_BACKEND", "WHITENOISE_USE_FINDERS",
                          "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_it_fails_loudly_on_a_value_it_cannot_read():
    result = _manage("check", env={**PRODUCTION_ENV, "DEBUG": "perhaps"})
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


@pytest.mark.parametrize("helper, value, message", [
    (settings_module.env_bool, "maybe", "must be one of"),
    (settings_module.env_int, "ten", "must be a whole number"),
])
def test_the_env_helpers_name_the_variable_and_the_bad_value(monkeypatch, helper, value, message):
    monkeypatch.setenv("HUBPORTAL_TEST_VALUE", value)
    with pytest.raises(ImproperlyConfigured, match=message) as error:
        helper("HUBPORTAL_TEST_VALUE", None)
    assert "HUBPORTAL_TEST_VALUE" in str(error.value)
    assert value in str(error.value)


def test_the_embedded_default_needs_no_services(tmp_path):
    """With no environment but DEBUG: SQLite, a filesystem broker whose folders exist, mail to files."""
    code = ("from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE']); print(s.CELERY_BROKER_URL); print(s.EMAIL_BACKEND); "
            "import os; print(os.path.isdir(s.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in']))")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
                                                              "EMAIL_BACKEND", "SECRET_KEY"}}
    env.update({"DEBUG": "1", "VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "hubportal.settings"})
    result = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://",
                                     "django.core.mail.backends.filebased.EmailBackend", "True"]


def test_the_web_server_refuses_to_start_with_no_environment_at_all():
    """Only manage.py defaults to development settings; a forgotten environment never serves pages."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    result = subprocess.run([sys.executable, "-c", "import hubportal.wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize("weak_key", [
    "short-but-random-Xq7#pL",                                   # fewer than 50 characters
    "ab" * 40,                                                   # long, but only 2 different characters
    "django-insecure-" + "k3Jd9!xQz7Lm2Vb8Np4Rt6Ws1Yc5Ue0Ah" * 2,  # Django's generated development key
])
def test_it_refuses_to_start_with_a_weak_secret_key_when_debug_is_off(weak_key):
    result = _manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": weak_key})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_it_accepts_a_short_secret_key_in_development():
    result = _manage("check", env={**PRODUCTION_ENV, "DEBUG": "1", "SECRET_KEY": "dev"})
    assert result.returncode == 0, result.stderr


# --- Past one machine (issue 13) --------------------------------------------------------------------

SCALED_ENV = {
    **PRODUCTION_ENV,
    "SESSION_ENGINE": "cached_db",
    "ATTACHMENT_STORAGE": "s3",
    "AWS_STORAGE_BUCKET_NAME": "frontdoor-attachments",
    "AWS_S3_REGION_NAME": "eu-west-2",
    "DATABASE_URL": "postgres://hubportal@pgbouncer:6432/hubportal",
    "DATABASE_POOLER": "transaction",
    "DATABASE_REPLICA_URL": "postgres://hubportal@standby:5432/hubportal",
}


def test_a_deployment_over_several_machines_passes_check_deploy_and_reads_as_configured():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=SCALED_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    probe = ("from django.conf import settings as s; from django.core.files.storage import storages;"
             "d = storages['default']; print(s.SESSION_ENGINE, s.SESSION_CACHE_ALIAS,"
             "s.CACHES['sessions']['LOCATION'], type(d).__name__, d.bucket_name, d.default_acl, d.file_overwrite,"
             "s.REPORTS_DATABASE, s.DATABASES['replica']['HOST'], s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'])")
    result = _manage("shell", "-v", "0", "-c", probe, env=SCALED_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.contrib.sessions.backends.cached_db", "sessions", "redis://127.0.0.1:6379/0", "S3Storage",
        "frontdoor-attachments", "private", "False", "replica", "standby", "True"]


@pytest.mark.parametrize("env, message", [
    ({"SESSION_ENGINE": "file"}, "SESSION_ENGINE must be db, cache or cached_db"),
    ({"SESSION_ENGINE": "cache", "REDIS_URL": ""}, "SESSION_ENGINE=cache needs SESSION_REDIS_URL or REDIS_URL"),
    ({"ATTACHMENT_STORAGE": "s3"}, "ATTACHMENT_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
    ({"ATTACHMENT_STORAGE": "nfs"}, "ATTACHMENT_STORAGE must be filesystem or s3"),
    ({"DATABASE_POOLER": "session"}, "DATABASE_POOLER must be empty or 'transaction'"),
])
def test_it_refuses_a_scaling_setting_it_cannot_honour(env, message):
    result = _manage("check", env={**PRODUCTION_ENV, **env})
    assert result.returncode != 0
    assert message in result.stderr


def test_by_default_sessions_are_in_the_database_and_attachments_on_the_filesystem():
    probe = ("from django.conf import settings as s; from django.core.files.storage import storages;"
             "print(s.SESSION_ENGINE, type(storages['default']).__name__)")
    result = _manage("shell", "-v", "0", "-c", probe, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.contrib.sessions.backends.db", "FileSystemStorage"]
