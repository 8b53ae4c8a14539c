"""`make run` prints the sign-in banner last: the Procfile's banner process prints it once the others
have started, and keeps running (honcho stops every process when one exits)."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def procfile():
    return dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ": " in line)


def test_the_banner_is_the_last_process_and_prints_the_file_after_a_delay_then_stays_up(tmp_path):
    processes = procfile()
    assert list(processes)[-1] == "banner" and {"web", "worker", "beat"} <= set(processes)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "banner.txt").write_text("  Innovation Hub Front Door: http://127.0.0.1:8123/\n")
    started = time.monotonic()
    process = subprocess.Popen(["/bin/sh", "-c", processes["banner"]], cwd=tmp_path, stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "BANNER_DELAY": "1"})
    try:
        line = process.stdout.readline()
        assert "http://127.0.0.1:8123/" in line
        assert time.monotonic() - started >= 1  # after the others have had time to start
        time.sleep(0.5)
        assert process.poll() is None  # still running, so honcho does not stop the rest
    finally:
        process.kill()
        process.wait()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_writes_the_banner_with_the_port_and_how_to_seed_more_before_starting_honcho():
    dry_run = subprocess.run(["make", "-n", "run", "PORT=8123"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    banner_at, honcho_at = dry_run.index("> var/banner.txt"), dry_run.index("honcho start")
    assert banner_at < honcho_at
    banner = dry_run[:banner_at]
    assert "http://127.0.0.1:8123/" in banner
    assert "seed_demo --inquiries" in banner
