"""The deployment files: the compose file's Sentinel service runs here as written, against
PostgreSQL from the machine's own server (no Docker needed) and against SQLite, patrols, and
answers /readyz and /metrics; the image's health check and the systemd unit name what exists."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from sentinel.cli import app
from tests.fixtures.sites import publish, write_config
from tests.servers import LocalSite, free_port

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 120  # the bound on waiting for the first patrol; a patrol here takes a few seconds


def compose_service() -> tuple[dict[str, str], list[str]]:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    assert doc["services"]["db"]["image"].startswith("postgres:")
    service = doc["services"]["sentinel"]
    assert service["depends_on"]["db"]["condition"] == "service_healthy"
    return {k: str(v) for k, v in service["environment"].items()}, list(service["command"])


def _get(url: str) -> tuple[int, str, list[str]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode(), r.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), []
    except OSError:
        return 0, "", []


def test_the_compose_service_runs_as_written_and_patrols(
    site: LocalSite, db_url: str, tmp_path: Path
) -> None:
    publish(site)
    config = write_config(tmp_path / "cfg", site)
    env, command = compose_service()
    if db_url.startswith("postgresql"):
        # the compose file's URL, with the test's server standing in for the `db` service
        test = make_url(db_url)
        theirs = make_url(env["SENTINEL_DATABASE_URL"].replace("${POSTGRES_PASSWORD}", "pw"))
        assert theirs.host == "db" and theirs.drivername == "postgresql"
        url = theirs.set(
            host=test.host, port=test.port, username=test.username,
            password=test.password, database=test.database,
        ).render_as_string(hide_password=False)  # fmt: skip
    else:
        url = db_url
    env.update(
        SENTINEL_DATABASE_URL=url,
        SENTINEL_WEB_SECRET="s" * 40,
        SENTINEL_CONFIG_DIR=str(config),
        PYTHONUNBUFFERED="1",
    )
    port = free_port()
    assert command[:2] == ["sentinel", "-v"]
    args = [a.replace("0.0.0.0", "127.0.0.1").replace("8080", str(port)) for a in command[1:]]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sentinel", *args],
        env={**os.environ, **env},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_S
        metrics = ""
        while time.monotonic() < deadline and proc.poll() is None:
            status, metrics, _ = _get(base + "/metrics")
            if status == 200 and re.search(r"^sentinel_patrols_total [1-9]", metrics, re.M):
                break
            time.sleep(0.5)
        assert re.search(r"^sentinel_patrols_total 1\.0$", metrics, re.M), proc.poll()
        assert re.search(r'^sentinel_sources\{health="ok"\} 5\.0$', metrics, re.M)
        assert re.search(r"^sentinel_posts_new_total [1-9]", metrics, re.M)
        status, body, _ = _get(base + "/readyz")
        assert status == 200 and '"ready"' in body
        status, _, cookies = _get(base + "/login")
        assert status == 200 and cookies and all("Secure" in c for c in cookies)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    assert f"duty desk: http://127.0.0.1:{port}/" in text
    assert "users add admin --role admin" in text  # no login yet: how to make the first


def test_the_image_checks_readiness_and_pins_its_packages() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    assert "pip install --no-cache-dir -c constraints.txt ." in dockerfile
    (check,) = [line for line in dockerfile.splitlines() if "urlopen(" in line]
    assert "/readyz" in check
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
    assert cmd is not None
    _parses(yaml.safe_load(cmd[1])[1:])


def test_the_systemd_unit_runs_commands_that_exist() -> None:
    unit = (ROOT / "deploy" / "sentinel.service").read_text("utf-8")
    for key in ("ExecStartPre", "ExecStart"):
        (line,) = re.findall(rf"^{key}=(.+)$", unit, re.M)
        program, *args = line.split()
        assert program == "/opt/sentinel/bin/sentinel"
        _parses(args)


def _parses(args: list[str]) -> None:
    """The arguments parse as a `sentinel` command line: click parses every option before it
    acts on --help, so an unknown option or a bad value fails here and nothing runs."""
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, (args, result.output)
