"""Records that cross to scout processes pickle as tuples and come back equal."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sentinel.extract.post import Post
from sentinel.fetch.page import Page, Validators
from sentinel.picklestate import tuple_state


def test_posts_and_pages_come_back_equal_and_as_tuples() -> None:
    post = Post(
        source_id="forum",
        url="http://127.0.0.1/t/1.html",
        title="明光一工地拖欠工资",
        body="正文",
        published_at=datetime(2026, 11, 20, 8, tzinfo=ZoneInfo("Asia/Shanghai")),
        replies=3,
        author="网友",
    )
    page = Page(
        url="http://127.0.0.1/t/1.html",
        requested_url="http://127.0.0.1/t/1",
        status=200,
        content_type="text/html",
        charset="gbk",
        body="正文".encode("gbk"),
        validators=Validators(etag='"v1"'),
        fetched_at=datetime.now(UTC),
        elapsed=0.25,
    )
    for record in (post, page, page.validators):
        again = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
        assert again == record
        assert type(record.__getstate__()) is tuple  # type: ignore[attr-defined]


@tuple_state
@dataclass(frozen=True, slots=True)
class One:
    value: str


def test_a_one_field_record_keeps_its_value() -> None:
    assert One("x").__getstate__() == ("x",)  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(One("x"))) == One("x")
