"""docs/settings.md is what the configuration models say: regenerate it when they change."""

from __future__ import annotations

from pathlib import Path

from sentinel.config.models import SentinelFile
from sentinel.config.reference import render, rows

PAGE = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_the_settings_reference_in_the_repository_is_current() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(), (
        "docs/settings.md is stale: run `make settings-reference` and commit it"
    )


def test_every_field_of_every_nested_model_has_a_row() -> None:
    paths = {path for path, *_ in rows(SentinelFile)}
    assert {"notify.smtp.password_env", "web.trusted_proxies", "http.scouts"} <= paths
    assert "workflow.cadence.heightened[].interval" in paths
    assert "notify.departments.<key>.webhooks[].secret_env" in paths


def test_the_shipped_notify_example_is_valid_once_uncommented(tmp_path: Path) -> None:
    import shutil

    from sentinel.config import load_config

    root = PAGE.parents[1]
    for name in ("sources.yaml", "keywords.yaml", "sentinel.yaml"):
        shutil.copy(root / name, tmp_path / name)
    lines = (root / "sentinel.yaml").read_text(encoding="utf-8").split("\n")
    start = lines.index("# notify:")
    example = [line[2:] for line in lines[start:] if line.startswith("# ")]
    with (tmp_path / "sentinel.yaml").open("a", encoding="utf-8") as f:
        f.write("\n" + "\n".join(example) + "\n")
    notify = load_config(tmp_path).settings.notify
    assert notify.smtp is not None and notify.smtp.password_env == "SENTINEL_SMTP_PASSWORD"
    kinds = {h.kind.value for d in notify.departments.values() for h in d.webhooks}
    assert kinds == {"dingtalk", "wecom", "feishu"}


def test_the_image_constraints_pin_every_runtime_dependency() -> None:
    import re
    import tomllib

    root = PAGE.parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["project"]
    pinned = {
        re.split(r"==", line)[0].lower().replace("_", "-")
        for line in (root / "constraints.txt").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    }
    wanted = {
        re.split(r"[\[<>=;~! ]", dep)[0].lower().replace("_", "-").replace(".", "-")
        for dep in project["dependencies"]
    }
    assert wanted <= {p.replace(".", "-") for p in pinned}, wanted - pinned
    assert all(
        "==" in line
        for line in (root / "constraints.txt").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    )
