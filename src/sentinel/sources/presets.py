"""The presets Sentinel ships. Data only: each is a set of selectors, never code.

Selector syntax is that of `Selectors`: `css` reads the element's text, `css@attr` an attribute.
Groups (`a, b`) match in document order, so one preset can cover a site's template versions.
"""

from __future__ import annotations

from sentinel.config.models import Selectors, SourceKind
from sentinel.sources.preset import Preset

DISCUZ = Preset(
    name="discuz",
    kind=SourceKind.html,
    description=(
        "Discuz! X forumdisplay (forum-FID-1.html / forum.php?mod=forumdisplay); "
        "also Discuz! 6/7 forumdisplay.php. Sticky and normal threads, reply/view counts."
    ),
    selectors=Selectors(
        # X and 7 both wrap each thread row in <tbody id="normalthread_TID"> (stickthread_ on top).
        item="tbody[id^=normalthread_], tbody[id^=stickthread_]",
        # X: <a class="s xst">; 7: <span id="thread_TID"><a href="viewthread.php?tid=…">.
        title="a.xst, span[id^=thread_] a",
        # X: <td class="num"><a>replies</a><em>views</em>; 7: <td class="nums"><strong>/<em>.
        replies="td.num a, td.nums strong",
        views="td.num em, td.nums em",
        # The first td.by is the thread's author column (the second is the last post's).
        # X renders recent dates as "3 天前" with the full date in a title attribute, which the
        # date reader prefers; 7 prints the date plainly in <td class="author"><em>.
        date="td.by em span, td.author em",
        author="td.by cite a, td.author cite a",
        # `@attr` applies to the whole group; a link selector reads href by default anyway.
        next="a.nxt, div.pages a.next@href",
    ),
    detail=None,
)

PRESETS: dict[str, Preset] = {p.name: p for p in (DISCUZ,)}
