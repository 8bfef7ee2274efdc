"""How a tick's due sources become patrol jobs (workers/queue.py): batches of up to BATCH
sources, each job locked on a lane that a source (or its host) never leaves."""

from __future__ import annotations

from datetime import UTC, datetime

from sentinel.config import Source
from sentinel.workers.queue import BATCH, BUCKETS, job_sources, lane, patrol_jobs

DUTY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def sources(n: int, *, hosts: int) -> list[Source]:
    return [
        Source.model_validate(
            {"id": f"s{i}", "kind": "rss", "url": f"http://h{i % hosts}.example/f/{i}.xml"}
        )
        for i in range(n)
    ]


def test_every_source_is_in_one_job_of_its_lane() -> None:
    due = sources(3000, hosts=7)
    jobs = patrol_jobs(due, duty_at=DUTY, lock="source")
    seen = [sid for j in jobs for sid in job_sources(j.task_kwargs)]
    assert sorted(seen) == sorted(s.id for s in due)  # each once
    by_id = {s.id: s for s in due}
    for j in jobs:
        ids = job_sources(j.task_kwargs)
        assert 0 < len(ids) <= BATCH
        assert {lane(by_id[i], "source") for i in ids} == {j.lock}
        assert j.task_kwargs["duty_at"] == DUTY.isoformat() and j.queueing_lock is None
    # thousands of sources go out in about a job per lane, not a job per source
    assert len({j.lock for j in jobs}) == len(jobs) <= BUCKETS < len(due) // 10


def test_a_full_lane_is_split_and_its_jobs_share_the_lock() -> None:
    due = sources(BATCH * 2 + 5, hosts=1)
    jobs = patrol_jobs(due, duty_at=None, lock="host")
    assert [len(job_sources(j.task_kwargs)) for j in jobs] == [BATCH, BATCH, 5]
    assert len({j.lock for j in jobs}) == 1  # one host: its jobs run one after another


def test_a_source_keeps_its_lane_whatever_else_is_due() -> None:
    due = sources(50, hosts=3)
    alone = {j.lock for j in patrol_jobs(due[:1], duty_at=None, lock="source")}
    assert alone == {lane(due[0], "source")}
    # a host's sources share a lane with `lock: host`, across ticks
    same_host = [s for s in due if str(s.url).startswith("http://h1.")]
    assert len({lane(s, "host") for s in same_host}) == 1
    assert lane(due[0], "host").startswith("host-lane:")
    assert lane(due[0], "source").startswith("source-lane:")


def test_a_job_queued_before_batches_still_names_its_source() -> None:
    assert job_sources({"source_id": "old", "duty_at": None}) == ["old"]
    assert job_sources({"source_ids": ["a", "b"]}) == ["a", "b"]
