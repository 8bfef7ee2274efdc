"""Desk sessions end for good (sign-out, password change, disabled user); sign-in checks
passwords off the event loop, as hard for a login that does not exist."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Literal

import argon2
import httpx
import pytest
from typer.testing import CliRunner

from sentinel.cli import app as cli
from sentinel.store import Logins
from sentinel.web.auth import SESSION_COOKIE
from sentinel.workflow import passwords
from tests.web.desk import PASSWORD, Desk, client, later, sign_in


def _with_cookie(desk: Desk, value: str) -> httpx.AsyncClient:
    c = client(desk.app)
    c.cookies.set(SESSION_COOKIE, value, domain="desk.test")
    return c


async def test_a_signed_out_cookie_is_good_for_nothing(desk: Desk) -> None:
    async with client(desk.app) as c:
        csrf = await sign_in(c, "wang")
        copied = c.cookies[SESSION_COOKIE]
        async with _with_cookie(desk, copied) as thief:
            assert (await thief.get("/api/me")).json()["login"] == "wang"
        r = await c.post("/logout", data={"csrf": csrf})
        assert r.status_code == 303
    # the same cookie, replayed after sign-out, well within its 12 hours
    later(desk.clock, minutes=1)
    async with _with_cookie(desk, copied) as thief:
        assert (await thief.get("/api/me")).status_code == 401
        r = await thief.get("/queue")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        r = await thief.post(f"/alerts/{desk.ids['hostile']}/act", data={"csrf": csrf})
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert (await desk.store.alert(desk.ids["hostile"])).state == "new"


async def test_signing_out_ends_only_that_session(desk: Desk) -> None:
    async with client(desk.app) as office, client(desk.app) as phone:
        csrf = await sign_in(office, "wang")
        await sign_in(phone, "wang")
        await office.post("/logout", data={"csrf": csrf})
        assert (await phone.get("/api/me")).status_code == 200


async def test_a_password_change_ends_every_session(desk: Desk) -> None:
    async with client(desk.app) as c:
        await sign_in(c, "wang")
        await desk.app.state.desk.workflow.set_password("wang", "another-secret")
        assert (await c.get("/api/me")).status_code == 401
        await sign_in(c, "wang", "another-secret")
        assert (await c.get("/api/me")).status_code == 200


async def test_a_disabled_user_is_out_at_once_and_cannot_sign_in(desk: Desk) -> None:
    async with client(desk.app) as c:
        csrf = await sign_in(c, "wang")
        token = (await c.post("/api/tokens", headers={"x-csrf-token": csrf})).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await c.get("/api/me", headers=bearer)).status_code == 200
        assert await Logins(desk.store).set_disabled("wang", desk.clock())
        assert (await c.get("/api/me")).status_code == 401
        assert (await c.get("/api/me", headers=bearer)).status_code == 401
        r = await c.get("/login")
        token_field = r.text.split('name="csrf" value="')[1].split('"')[0]
        r = await c.post(
            "/login", data={"login": "wang", "password": PASSWORD, "csrf": token_field}
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/login?error=")
        assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
        # enabled again: a new sign-in works; the session cut off stays ended
        old = c.cookies.get(SESSION_COOKIE)
        assert await Logins(desk.store).set_disabled("wang", None)
        await sign_in(c, "wang")
        assert (await c.get("/api/me")).status_code == 200
    if old:
        async with _with_cookie(desk, old) as replay:
            assert (await replay.get("/api/me")).status_code == 401
    assert not await Logins(desk.store).set_disabled("nobody", desk.clock())


@pytest.fixture
def desk_db(template: tuple[Path, Path, bytes], tmp_path: Path) -> tuple[str, str]:
    db, cfg_dir, _ = template
    shutil.copy(db, tmp_path / "cli.db")
    return str(cfg_dir), f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"


def test_users_disable_and_enable_from_the_command_line(
    desk_db: tuple[str, str],
) -> None:
    cfg_dir, url = desk_db
    env = {"SENTINEL_CONFIG_DIR": cfg_dir, "SENTINEL_DATABASE_URL": url}
    runner = CliRunner()
    r = runner.invoke(cli, ["users", "disable", "wang"], env=env)
    assert r.exit_code == 0, r.stderr
    r = runner.invoke(cli, ["users", "list"], env=env)
    (line,) = [x for x in r.stdout.splitlines() if x.startswith("wang ")]
    assert line.endswith("(disabled)")
    # nor may anyone act as a disabled user from the command line
    r = runner.invoke(cli, ["alerts", "claim", "1", "--as", "wang"], env=env)
    assert r.exit_code == 1 and "user 'wang' is disabled" in r.stderr
    r = runner.invoke(cli, ["users", "disable", "nobody"], env=env)
    assert r.exit_code == 1 and "no user 'nobody'" in r.stderr
    r = runner.invoke(cli, ["users", "enable", "wang"], env=env)
    assert r.exit_code == 0
    r = runner.invoke(cli, ["users", "list", "--json"], env=env)
    assert "(disabled)" not in r.stdout and '"disabled_at": null' in r.stdout


class _Watched(argon2.PasswordHasher):
    """The real hasher, noting which thread ran each check and on what parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.checks: list[tuple[int, argon2.Parameters]] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        text = hash.decode() if isinstance(hash, bytes) else hash
        self.checks.append((threading.get_ident(), argon2.extract_parameters(text)))
        return super().verify(hash, password)


async def test_sign_in_checks_passwords_off_the_loop_and_as_hard_for_unknown_logins(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    watched = _Watched()
    monkeypatch.setattr(passwords, "HASHER", watched)
    stored = await desk.store.user("wang")
    assert stored is not None
    real = argon2.extract_parameters(stored.password_hash)
    loop_thread = threading.get_ident()
    async with client(desk.app) as c:
        for login, password in (("wang", "wrong-password"), ("nobody", "wrong-password")):
            r = await c.get("/login")
            token = r.text.split('name="csrf" value="')[1].split('"')[0]
            r = await c.post("/login", data={"login": login, "password": password, "csrf": token})
            assert r.status_code == 303 and "error=" in r.headers["location"]
        await sign_in(c, "wang")
    # one check per sign-in, the unknown login's against a hash as costly as a real one
    assert [params for _, params in watched.checks] == [real, real, real]
    assert all(thread != loop_thread for thread, _ in watched.checks)
