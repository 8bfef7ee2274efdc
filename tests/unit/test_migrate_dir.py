"""Where the store finds its Alembic scripts: env, checkout, or a wheel's installed copy."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import sentinel
from sentinel.errors import StoreError
from sentinel.store.migrate import ENV_MIGRATIONS, migrations_dir

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_uses_its_own_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_MIGRATIONS, raising=False)
    assert migrations_dir() == ROOT / "migrations"


def test_an_installed_wheel_uses_its_copy_and_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_MIGRATIONS, raising=False)
    site = tmp_path / "lib" / "site-packages" / "sentinel"
    site.mkdir(parents=True)
    monkeypatch.setattr(sentinel, "__file__", str(site / "__init__.py"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    with pytest.raises(StoreError, match=ENV_MIGRATIONS):
        migrations_dir()
    copy = tmp_path / "venv" / "share" / "sentinel" / "migrations"
    copy.mkdir(parents=True)
    (copy / "env.py").write_text("# alembic env\n", encoding="utf-8")
    assert migrations_dir() == copy
    monkeypatch.setenv(ENV_MIGRATIONS, str(ROOT / "migrations"))
    assert migrations_dir() == ROOT / "migrations"
