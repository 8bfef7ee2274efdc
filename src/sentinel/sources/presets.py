"""The presets Sentinel ships. Data only: each is a set of selectors, rules and URL identity
patterns, never code.

Selector syntax is that of `Selectors`: `css` reads the element's text, `css@attr` an attribute
(the `@attr` applies to the whole group). Groups (`a, b`) match in document order, so one preset
can cover a site's template versions. What each preset reads from the corpus pages is asserted
in tests/unit/test_presets_corpus.py.
"""

from __future__ import annotations

from sentinel.config.models import DetailSelectors, Selectors, SourceKind
from sentinel.sources.preset import Identity, Preset, Rules

# The site and the folder Discuz! is installed in: `http://bbs.example.cn/` or `…/bbs/`.
_SITE = r"(?P<site>https?://[^/?#]+/(?:[^?#]*/)?)"
# A Discuz! thread is its tid, however it is linked: `forum.php?mod=viewthread&tid=N&extra=
# page%3D2` (extra changes when the thread moves down the list), `thread-N-1-1.html` (the
# rewritten form; page and list page vary) and `forum.php?mod=redirect&tid=N&goto=lastpost`
# are one thread, read at `forum.php?mod=viewthread&tid=N` whether rewriting is on or not.
# Discuz! 6/7 links `viewthread.php?tid=N&extra=…&page=2`: its own spelling, without the rest.
DISCUZ_IDENTITY = Identity(
    (
        (
            _SITE + r"forum\.php\?(?:[^#]*&)?tid=(?P<tid>\d+)(?:&|$)",
            r"\g<site>forum.php?mod=viewthread&tid=\g<tid>",
        ),
        (
            _SITE + r"thread-(?P<tid>\d+)-\d+-\d+\.html$",
            r"\g<site>forum.php?mod=viewthread&tid=\g<tid>",
        ),
        (
            _SITE + r"viewthread\.php\?(?:[^#]*&)?tid=(?P<tid>\d+)(?:&|$)",
            r"\g<site>viewthread.php?tid=\g<tid>",
        ),
    )
)

DISCUZ = Preset(
    name="discuz",
    kind=SourceKind.html,
    description=(
        "Discuz! X forumdisplay (forum-FID-1.html / forum.php?mod=forumdisplay) and Discuz! 6/7 "
        "forumdisplay.php: sticky and normal threads, author, date, reply/view counts; thread "
        "pages (viewthread / thread-TID-1-1.html) for the first post's body and time."
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
    detail=DetailSelectors(
        # X: <td class="t_f" id="postmessage_PID">; 7: <div id="postmessage_PID" class="t_msgfont">.
        # The first in the document is the first floor: the thread's own post.
        body="td[id^=postmessage_], div[id^=postmessage_]",
        # X: <span id="thread_subject">; 7: the only <h1> of div.viewthread.
        title="#thread_subject, div.viewthread > h1",
        # X: <em id="authorposton…">发表于 …</em> (a title attribute on recent posts);
        # 7: <div class="postinfo">1楼 … 发表于 2008-12-13 18:07</div>.
        date="em[id^=authorposton], div.postinfo",
    ),
    rules=Rules(identity=DISCUZ_IDENTITY),
)

TIEBA = Preset(
    name="tieba",
    kind=SourceKind.html,
    description=(
        "Baidu Tieba forum lists (tieba.baidu.com/f?kw=…): top and normal threads, reply count, "
        "author display name, creation time, abstract; thread pages (/p/TID) for the first "
        "floor's text and time."
    ),
    selectors=Selectors(
        item="li.j_thread_list",
        # div.threadlist_title carries j_th_tit too: only the link is the title.
        title="a.j_th_tit",
        replies="span.threadlist_rep_num",
        # The link text is cut ("娱乐圈吧..."); the title attribute has the whole display name,
        # behind a "主题作者: " label that extraction drops.
        author="span.tb_icon_author@title",
        # Creation time: "08:52" today, "7-30" this year, "2019-12" earlier years.
        date="span.is_show_create_time",
        body="div.threadlist_abs",
        next="#frs_list_pager a.next, a.next.pagination-item",
    ),
    detail=DetailSelectors(
        body="div.d_post_content",
        title=".core_title_txt",
        # "来自Android客户端1楼2022-10-02 23:02回复": the first floor's tail.
        date="div.post-tail-wrap",
    ),
)

# A leaf row (no nested rows) with a link: one list entry, whatever the template's wrapper.
_ROWS = "li:not(:has(li)):has(a[href]), tr:not(:has(tr)):has(> td a[href])"
# Where templates put a date: <span>/<em>/<i>/<font> beside the link, or a table cell.
_DATE_CELLS = "span, em, i, font, b, td, div, p"

GOV_LIST = Preset(
    name="gov_list",
    kind=SourceKind.html,
    description=(
        "Government portal list pages: TRS WCM / Hanweb `ul li a + span` lists and table layouts "
        "(`tr` with `a[title]`); titles cut with '...' come from the title attribute; rows "
        "without a date (menus) are skipped. Article pages by the ArticleTitle/PubDate meta "
        "convention, body in TRS_Editor / #zoom / #UCAP-CONTENT."
    ),
    selectors=Selectors(item=_ROWS, title="a[href]", date=_DATE_CELLS),
    detail=DetailSelectors(
        body="div.TRS_Editor, #zoom, #UCAP-CONTENT, div.pages_content, div.article-content",
        title="meta[name=ArticleTitle i]@content",
        # Not Maketime: fgw.zj.gov.cn stamps the page's regeneration there, years after PubDate.
        date=(
            "meta[name=PubDate i], meta[name=firstpublishedtime i], "
            "meta[name='dispatch date' i]@content"
        ),
    ),
    rules=Rules(require_date=True, longest_title=True, scan_date=True),
)

BOARD = Preset(
    name="board",
    kind=SourceKind.html,
    description=(
        "Public message boards (领导留言板, 问政, 12345): message title, time and handling "
        "status (已回复 / 未回复 / 办理中), from list rows or table rows; the message page's "
        "text and the office's reply."
    ),
    selectors=Selectors(item=_ROWS, title="a[href]", date=_DATE_CELLS),
    detail=DetailSelectors(
        # The citizen's message, then the office's reply, as the board prints them.
        body=(
            "div.message-content, div.ly_content, div.liuyan_content, div.lynr, "
            "div.wz_content, #zoom"
        ),
        title="h1, h2.title",
    ),
    rules=Rules(
        require_date=True,
        longest_title=True,
        scan_date=True,
        status="span, em, i, font, b, td, div, p, label",
    ),
)

# Feed presets set no selectors: what they carry is the way the feed URL is built.
RSSHUB = Preset(
    name="rsshub",
    kind=SourceKind.rss,
    description=(
        "An RSSHub route (`rsshub: /tieba/forum/明光`) read as a feed from the RSSHub instance "
        "named in sentinel.yaml (`rsshub.base_url`): Weibo, WeChat, Tieba, Douyin without "
        "Sentinel logging in to them (see sources.rsshub.rsshub_url)."
    ),
)

# Presets for list pages: each gives at least selectors.item.
PRESETS: dict[str, Preset] = {p.name: p for p in (DISCUZ, TIEBA, GOV_LIST, BOARD)}
# Presets for feeds: no selectors.
FEED_PRESETS: dict[str, Preset] = {p.name: p for p in (RSSHUB,)}
ALL_PRESETS: dict[str, Preset] = {**PRESETS, **FEED_PRESETS}
