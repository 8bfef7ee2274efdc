"""Sentinel's benchmark suite: `python -m bench [--quick] [--json FILE] [--only NAME ...]`.

Prints one table of figures against the targets of the performance issue and writes them as
JSON. Baselines run in the same invocation, so compare the ratios, not figures across machines.
--quick shrinks every scenario so CI can prove the suite still runs (its figures mean little).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

SCENARIOS = ("e2e", "events", "matcher", "many", "workers", "handover")


def _run(name: str, quick: bool) -> dict[str, Any]:
    if name == "e2e":
        from bench.patrol import end_to_end

        return end_to_end(quick=quick)
    if name == "many":
        from bench.patrol import many_sources

        return many_sources(quick=quick)
    if name == "workers":
        from bench.workers import run as workers

        return workers(quick=quick)
    if name == "handover":
        from bench.handover import run as handover

        return handover(quick=quick)
    if name == "events":
        from bench.events import run as events

        return events(quick=quick)
    from bench.matcher import run

    result: dict[str, Any] = run(quick=quick)
    return result


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def table(results: dict[str, dict[str, Any]], *, quick: bool = False) -> str:
    # a quick run's sizes are too small for its figures to mean anything against the targets
    met: Any = (lambda ok: "not checked") if quick else _met
    rows: list[tuple[str, str, str]] = []
    e2e = results.get("e2e")
    if e2e:
        rows += [
            (
                "end to end into an empty store (fetch, extract, match, cluster, SQLite)",
                f"{e2e['pages_per_s']:.0f} pages/s, {e2e['cpu_ms_per_page']:.2f} ms CPU/page",
                met(e2e["pages_per_s"] >= e2e["target_pages_per_s"]) + " (≥ 1,000 pages/s)",
            ),
            (
                f"  same, with {e2e['scouts']} scout processes (http.scouts)",
                f"{e2e['scouts_pages_per_s']:.0f} pages/s, "
                f"{e2e['scouts_cpu_ms_per_page']:.2f} ms CPU/page "
                f"({e2e['scouts_patrol_cpu_ms_per_page']:.2f} in the patrol's)",
                met(e2e["scouts_pages_per_s"] >= e2e["target_pages_per_s"])
                + f"; × {e2e['scouts_speedup']} one process; same results: "
                + f"{e2e['scouts_same_results']}",
            ),
            (
                f"  the site's server meanwhile, on the same {os.cpu_count()} cores",
                f"{e2e['site_server_cpu_ms_per_page']:.2f} ms CPU/page",
                "",
            ),
            (
                "  same, httpx transport + reference matcher (baseline)",
                f"{e2e['baseline_pages_per_s']:.0f} pages/s, "
                f"{e2e['baseline_cpu_ms_per_page']:.2f} ms CPU/page",
                f"× {e2e['speedup_vs_baseline']} faster; same results: "
                f"{e2e['same_results_as_baseline']}",
            ),
        ]
        rows.append(
            (
                "  same, without the event step (near-copies only)",
                f"{e2e['events_off_pages_per_s']:.0f} pages/s, "
                f"{e2e['events_off_cpu_ms_per_page']:.2f} ms CPU/page",
                met(e2e["events_on_vs_off"] >= 0.95)
                + f" (with it × {e2e['events_on_vs_off']} pages/s, "
                f"× {e2e['events_cpu_on_vs_off']} by CPU per page; ≥ × 0.95)",
            )
        )
        rows.append(
            (
                "  repeat patrol: every list and feed changed, nothing new",
                f"{e2e['repeat_pages_per_s']:.0f} pages/s, "
                f"{e2e['repeat_cpu_ms_per_page']:.2f} ms CPU/page",
                met(e2e["repeat_pages_per_s"] >= e2e["target_pages_per_s"])
                + f" ({e2e['repeat_pages']} pages, {e2e['repeat_posts_new']} new posts)",
            )
        )
        rows.append(
            (
                "  same, with scouts",
                f"{e2e['scouts_repeat_pages_per_s']:.0f} pages/s, "
                f"{e2e['scouts_repeat_cpu_ms_per_page']:.2f} ms CPU/page",
                "",
            )
        )
        for key, label in (
            ("critical_latency_s", "critical post: page fetched → push in the outbox"),
            ("scouts_critical_latency_s", "  same, with scouts"),
        ):
            lat = e2e[key]
            if lat["count"]:
                rows.append(
                    (
                        label,
                        f"median {lat['median'] * 1000:.0f} ms, max {lat['max'] * 1000:.0f} ms "
                        f"({lat['count']} posts)",
                        met(lat["max"] < e2e["target_latency_s"]) + " (< 1 s)",
                    )
                )
    events = results.get("events")
    if events:
        on, off = events["with_events"], events["copies_only"]
        rows += [
            (
                f"event step, per new post ({events['index_stories']:,} stories indexed)",
                f"features {events['features_us_per_post']:.0f} µs, "
                f"lookup {events['find_us_per_post']:.0f} µs",
                "",
            ),
            (
                f"  grouping the labelled set ({events['posts']} posts, {events['events']} events,"
                f" {events['hard_negatives']} hard negatives)",
                f"B-cubed P {on['bcubed_precision']} R {on['bcubed_recall']} "
                f"F1 {on['bcubed_f1']}; events whole {on['events_whole']}",
                _met(on["bcubed_f1"] >= events["target_f1"] and not on["negatives_merged"])
                + f" (F1 ≥ 0.9; hard negatives merged: {on['negatives_merged']}; "
                + f"verbatim reposts missed: {on['verbatim_missed']})",
            ),
            (
                "  same, near-copies alone",
                f"B-cubed P {off['bcubed_precision']} R {off['bcubed_recall']} "
                f"F1 {off['bcubed_f1']}; events whole {off['events_whole']}",
                "",
            ),
        ]
    matcher = results.get("matcher")
    if matcher:
        at3 = matcher["rates"]["3%"]
        rows.append(
            (
                f"matcher, {matcher['keywords']:,} keywords / {matcher['topics']} topics, 3%",
                f"{at3['fast_mbps']} MB/s (1%: {matcher['rates']['1%']['fast_mbps']}, "
                f"10%: {matcher['rates']['10%']['fast_mbps']})",
                met(matcher["target_met"])
                + f" (≥ 40); × {at3['fast_vs_jieba']} plain jieba,"
                + f" × {at3['fast_vs_reference']} reference",
            )
        )
    many = results.get("many")
    if many:
        rows.append(
            (
                f"patrol of {many['sources']:,} sources, {many['changed']} changed (rest 304)",
                f"{many['patrol_s']} s, peak RSS {many['peak_rss_mb']:.0f} MB "
                f"(first patrol {many['first_patrol_s']} s / {many['first_peak_rss_mb']:.0f} MB,"
                f" config {many['config_load_s']} s)",
                met(many["patrol_s"] < many["target_s"] and many["peak_rss_mb"] < 300)
                + " (< 60 s, < 300 MB)",
            )
        )
    if results.get("workers"):
        from bench.workers import rows as worker_rows

        rows += worker_rows(results["workers"], _met)
    if results.get("handover"):
        from bench.handover import rows as handover_rows

        rows += handover_rows(results["handover"])
    width = max(len(r[0]) for r in rows) if rows else 0
    return "\n".join(f"{a:<{width}}  {b:<52}  {c}" for a, b, c in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: proves the suite runs")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, help="run these scenarios only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    results: dict[str, dict[str, Any]] = {}
    for name in args.only or SCENARIOS:
        print(f"running {name}…", file=sys.stderr, flush=True)
        results[name] = _run(name, args.quick)
    if args.quick:
        print("quick run: proves the suite runs; its figures are not compared with the targets")
    print(table(results, quick=args.quick))
    wrong = problems(results)
    for problem in wrong:
        print(f"bench: {problem}", file=sys.stderr)
    if args.json:
        doc = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": args.quick,
            "machine": {"python": platform.python_version(), "cpus": _cpus()},
            "results": results,
        }
        Path(args.json).write_text(json.dumps(doc, ensure_ascii=False, indent=2), "utf-8")
    return 1 if wrong else 0


def problems(results: dict[str, dict[str, Any]]) -> list[str]:
    """What says a figure was not measured on the work it claims: a source failed, a mode
    found other posts, a page thought unchanged was not. (Figures are never checked here.)"""
    out: list[str] = []
    e2e = results.get("e2e")
    if e2e:
        if e2e["failed"]:
            out.append(f"end to end: {e2e['failed']} sources failed")
        if e2e["posts_new"] != e2e["site"]["posts"]:
            out.append(
                f"end to end: {e2e['posts_new']} new posts of the site's {e2e['site']['posts']}"
            )
        if not e2e["same_results_as_baseline"] or not e2e["scouts_same_results"]:
            out.append("end to end: the modes found different posts, hits or stories")
        if e2e["repeat_posts_new"]:
            out.append(f"repeat patrol: {e2e['repeat_posts_new']} new posts where none were")
    out += results.get("workers", {}).get("problems", [])
    many = results.get("many")
    if many:
        if many["failed"]:
            out.append(f"many sources: {many['failed']} sources failed")
        if many["not_modified"] != many["sources"] - many["changed"]:
            out.append(
                f"many sources: {many['not_modified']} answered 304, "
                f"expected {many['sources'] - many['changed']}"
            )
    return out


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    raise SystemExit(main())
