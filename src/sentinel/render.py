"""What the CLI prints: stable JSON shapes and plain-text tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sentinel.config import Config, Source
from sentinel.pipeline import PatrolReport, TryResult
from sentinel.store import PostView, SourceStatus, StoryView

LOCAL = ZoneInfo("Asia/Shanghai")


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _local(when: datetime | None, tz: ZoneInfo = LOCAL) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M") if when is not None else "-"


def post_json(p: PostView) -> dict[str, object]:
    return {
        "id": p.id,
        "source_id": p.source_id,
        "url": p.url,
        "title": p.title,
        "published_at": _iso(p.published_at),
        "first_seen_at": _iso(p.first_seen_at),
        "replies": p.replies,
        "views": p.views,
        "story_id": p.story_id,
        "deleted_at": _iso(p.deleted_at),
    }


def story_json(s: StoryView) -> dict[str, object]:
    return {
        "id": s.id,
        "topic": s.topic_id,
        "severity": s.severity,
        "department": s.department,
        "title": s.title,
        "first_seen_at": _iso(s.first_seen_at),
        "last_seen_at": _iso(s.last_seen_at),
        "words": list(s.words),
        "posts": [post_json(p) for p in s.posts],
    }


def source_json(src: Source, status: SourceStatus | None) -> dict[str, object]:
    return {
        "id": src.id,
        "kind": src.kind.value,
        "url": str(src.url),
        "enabled": src.enabled,
        "last_fetch_at": _iso(status.last_fetch_at) if status else None,
        "last_status": status.last_status if status else None,
        "last_error": status.last_error if status else None,
        "last_error_kind": status.last_error_kind if status else None,
        "items_last": status.items_last if status else None,
        "consecutive_failures": status.consecutive_failures if status else 0,
        "last_ok_at": _iso(status.last_ok_at) if status else None,
        # ok, broken_layout, unreachable or blocked; why, and since when
        "health": status.health if status else "ok",
        "health_reason": status.health_reason if status else "",
        "health_since": _iso(status.health_since) if status else None,
    }


def try_json(result: TryResult) -> dict[str, object]:
    return {
        "source_id": result.source_id,
        "url": result.url,
        "status": result.status,
        "posts": [
            {
                "url": t.post.url,
                "title": t.post.title,
                "body": t.post.body,
                "published_at": _iso(t.post.published_at),
                "replies": t.post.replies,
                "views": t.post.views,
                "author": t.post.author,
                "new": t.new,
                "hits": [
                    {"topic": h.topic_id, "words": list(h.words), "region": list(h.region_words)}
                    for h in t.hits
                ],
            }
            for t in result.posts
        ],
    }


def render_try(result: TryResult) -> str:
    lines = [f"{result.source_id}: HTTP {result.status} {result.url} — {len(result.posts)} items"]
    for t in result.posts:
        flag = "new " if t.new else "seen"
        counts = f"{t.post.replies if t.post.replies is not None else '-'}/" + (
            f"{t.post.views if t.post.views is not None else '-'}"
        )
        lines.append(f"  [{flag}] {_local(t.post.published_at)}  {counts:>9}  {t.post.title}")
        lines.append(f"         {t.post.url}")
        for h in t.hits:
            region = f" region={','.join(h.region_words)}" if h.region_words else ""
            lines.append(f"         ▶ {h.topic_id}: {', '.join(h.words)}{region}")
    return "\n".join(lines)


def render_patrol_summary(report: PatrolReport) -> str:
    lines = [
        f"sources ok {report.sources_ok}, failed {report.sources_failed}; pages {report.pages} "
        f"({report.not_modified} unchanged); "
        f"posts new {report.posts_new}, hits new {report.hits_new}, "
        f"stories new {report.stories_new} ({report.elapsed:.1f}s)"
    ]
    for r in report.sources:
        if not r.ok:
            lines.append(f"  ✗ {r.source_id}: {r.error_kind}: {r.error} ({r.url})")
    return "\n".join(lines)


def patrol_json(report: PatrolReport) -> dict[str, object]:
    return {
        "sources_ok": report.sources_ok,
        "sources_failed": report.sources_failed,
        "pages": report.pages,
        "details": report.details,
        "not_modified": report.not_modified,  # answered 304: unchanged, nothing parsed
        "posts_new": report.posts_new,
        "hits_new": report.hits_new,
        "stories_new": report.stories_new,
        "failed": [
            {"source_id": r.source_id, "error": r.error, "kind": r.error_kind, "url": r.url}
            for r in report.sources
            if not r.ok
        ],
    }


def nothing_read(report: PatrolReport) -> str | None:
    """The one line to print (and exit non-zero on) when no source could be read at all."""
    if not report.sources or report.sources_ok:
        return None
    kinds = Counter(r.error_kind or "error" for r in report.sources)
    why = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
    n = len(report.sources)
    which = "the one source" if n == 1 else f"all {n} sources"
    return f"patrol: nothing could be read: {which} failed ({why})"


def render_stories(stories: Sequence[StoryView], cfg: Config) -> str:
    names = {t.id: t.name for t in cfg.keywords.topics}
    if not stories:
        return "no stories"
    out = []
    for s in stories:
        out.append(
            f"#{s.id} [{s.severity}] {names.get(s.topic_id, s.topic_id)} → {s.department or '-'}"
            f"  {_local(s.first_seen_at)}  {s.title}"
        )
        out.append(f"    words: {', '.join(s.words)}")
        for p in s.posts:
            out.append(f"    - {p.source_id}: {p.title}  {p.url}")
    return "\n".join(out)


def render_sources(
    sources: Sequence[Source], rows: Mapping[str, SourceStatus], tz: ZoneInfo = LOCAL
) -> str:
    head = f"{'source':<20} {'last fetch':<17} {'status':<8} {'items':>5} {'fails':>5}  "
    out = [head + f"{'health':<14} {'since':<17} reason / error"]
    for s in sources:
        r = rows.get(s.id)
        if r is None:
            out.append(f"{s.id:<20} {'never':<17}")
            continue
        status = str(r.last_status) if r.last_status is not None else (r.last_error_kind or "-")
        since = _local(r.health_since, tz) if r.health != "ok" else ""
        why = "; ".join(x for x in (r.health_reason, r.last_error or "") if x)
        out.append(
            f"{s.id:<20} {_local(r.last_fetch_at, tz):<17} {status:<8} "
            f"{r.items_last if r.items_last is not None else '-':>5} "
            f"{r.consecutive_failures:>5}  {r.health:<14} {since:<17} {why}".rstrip()
        )
    # the logs say UTC (…Z); this table is for people on duty: say which this is
    out.append(f"(times in {tz.key}; logs are in UTC)")
    return "\n".join(out)
