"""The embedded SQLite default takes concurrent writes without "database is locked".

Run in a fresh process on a temporary SQLite file with the settings as they ship (no DATABASE_URL), so
it tests the SQLite OPTIONS even when the suite itself runs on PostgreSQL.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THREADS, PER_THREAD = 4, 10


def test_it_takes_concurrent_submits_on_the_embedded_sqlite_file_without_database_is_locked(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY"}}
    env.update({"DEBUG": "1", "VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "hubportal.settings"})
    result = subprocess.run([sys.executable, "-m", "tests.hubportal.sqlite_submit_race", str(THREADS),
                             str(PER_THREAD)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["errors"] == []
    assert outcome["journal_mode"] == "wal"
    # Every submit got its own reference from the hub's counter: none lost, none given twice.
    assert len(outcome["references"]) == THREADS * PER_THREAD
    assert len(set(outcome["references"])) == THREADS * PER_THREAD
    assert (tmp_path / "var" / "db.sqlite3").exists()
