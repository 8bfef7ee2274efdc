"""The event step: features of Chinese local news, the comparison, and the labelled set's goals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel.cluster.events import EventIndex, EventRules
from sentinel.cluster.features import EventFeatures, Place, extract
from sentinel.cluster.grouping import Grouper, event_features, post_signature
from sentinel.config.models import KeywordsFile
from sentinel.match import Matcher
from tests import events_eval

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(KeywordsFile())


def features(m: Matcher, title: str, body: str = "") -> EventFeatures:
    return event_features(m, title, body)


def spots(f: EventFeatures) -> set[str]:
    return set(f.spots)


# ------------------------------------------------------------------ features


def test_a_compound_keys_the_same_however_it_is_spelled(matcher: Matcher) -> None:
    full = features(matcher, "关于城东花园小区拆迁补偿款迟迟不发放的问题")
    short = features(matcher, "城东小区拆迁补偿款拖了半年还没到位")
    road = features(matcher, "城东路路灯不亮")
    assert spots(full) == spots(short) == {"小区:城东"}
    assert spots(road) == {"路:城东"}  # a road of that name is another place


def test_a_village_keys_the_same_cut_or_whole(matcher: Matcher) -> None:
    # jieba cuts 李家/村 but keeps 王庄村 whole: both key by the name without 村
    assert "村:李家" in spots(features(matcher, "清河县城关镇李家村村民反映征地补偿不公"))
    assert "村:王庄" in spots(features(matcher, "王庄村修路征地补偿款比别的村低"))
    assert "镇:城关" in features(matcher, "清河县城关镇李家村村民反映").areas


def test_a_generic_school_name_takes_its_town(matcher: Matcher) -> None:
    a = features(matcher, "白沙镇中心小学学生疑似食物中毒")
    b = features(matcher, "东湖镇中心小学学生疑似食物中毒")
    bare = features(matcher, "中心小学学生疑似食物中毒")
    assert spots(a) == {"场所:白沙中心"} and spots(b) == {"场所:东湖中心"}
    assert not spots(bare) and bare.weak_spots == {"场所:中心"}


def test_common_words_that_end_like_places_are_none(matcher: Matcher) -> None:
    f = features(matcher, "公交线路调整，3路公交不再经停，道路拥堵，农村孩子上学难")
    assert not [p for p in f.places if p.kind == "路"]
    assert ("3路", "3路公交") in f.orgs  # the route is what everyone names it by


def test_organisations_by_trade_name(matcher: Matcher) -> None:
    a = features(matcher, "临江市华强建筑有限公司拖欠农民工工资")
    b = features(matcher, "华强公司称资金紧张，工资下月发放")
    generic = features(matcher, "清河县公共交通有限公司调整线路")
    assert dict(a.orgs).keys() == dict(b.orgs).keys() == {"华强"}
    assert not generic.orgs  # what a company does is no name


def test_amounts_and_dates(matcher: Matcher) -> None:
    f = features(matcher, "补偿款五十万元至今未到位", "11月3日居民聚集，另有50余万元工程款未付")
    assert f.amounts == (500000,)
    assert f.dates == ("11-03",)
    assert not features(matcher, "两块钱一瓶水").amounts  # small change names no event


def test_traditional_and_full_width_fold_to_the_same_features(matcher: Matcher) -> None:
    simp = features(matcher, "城东小区拆迁户补偿款50万元未到位")
    trad = features(matcher, "城東小區拆遷戶補償款５０萬元未到位")
    assert spots(simp) == spots(trad) and simp.amounts == trad.amounts


def test_salient_terms_leave_out_boilerplate_and_places(matcher: Matcher) -> None:
    f = features(matcher, "城东小区拆迁补偿款至今未到位", "网友反映，希望相关部门尽快解决问题。")
    words = [w for w, _ in f.terms]
    assert "补偿款" in words[:3]
    assert not {"反映", "相关部门", "问题", "城东", "小区"} & set(words)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="城东花园小区李家村镇路街口公司万元月日0123456789 ，。", max_size=80))
def test_features_survive_their_stored_form(text: str) -> None:
    m = Matcher(KeywordsFile())
    f = event_features(m, text[:20], text[20:])
    back = EventFeatures.from_json(f.to_json())
    assert back.places == f.places and back.orgs == f.orgs and back.amounts == f.amounts
    assert [w for w, _ in back.terms] == [w for w, _ in f.terms]


def test_stored_features_that_are_garbage_give_nothing() -> None:
    assert EventFeatures.from_json("not a dict") == EventFeatures()
    odd = EventFeatures.from_json({"places": [["村", "李家"]], "amounts": ["x", 5], "terms": 3})
    assert odd.places == () and odd.amounts == (5,) and odd.terms == ()


def test_extract_is_linear_on_long_digit_runs(matcher: Matcher) -> None:
    # a hostile page: a bounded pattern scans this once, not once per start position
    text = "9" * 50_000 + "元"
    f = extract([], [], text)
    assert f.amounts == ()  # a number that long is no sum anyone could owe


# ------------------------------------------------------------------ comparison


def index_with(m: Matcher, title: str, body: str = "", *, at: datetime = T0) -> EventIndex:
    index = EventIndex()
    index.add(1, features(m, title, body), ["land"], at)
    return index


STORY = ("城东花园小区拆迁补偿款拖了半年还没到位", "开发商华强公司一直推脱，50万元补偿款没影。")


def test_a_rewrite_in_other_words_joins_and_says_why(matcher: Matcher) -> None:
    index = index_with(matcher, *STORY)
    rewrite = features(
        matcher, "城东小区部分拆迁户反映补偿款逾期未发", "华强公司称资金紧张，正在筹措补偿款。"
    )
    found = index.find(rewrite, ["land"], T0 + timedelta(hours=5))
    assert found is not None and found.story_id == 1
    assert found.why.startswith("同一事件：城东花园小区") and "补偿款" in found.why
    assert 0.45 <= found.score <= 1.0


def test_hard_negatives_stay_apart(matcher: Matcher) -> None:
    index = index_with(matcher, "李家村征地补偿款每亩少给一万多", "城关镇李家村村民反映补偿不公。")
    later = T0 + timedelta(hours=6)
    village = features(matcher, "王庄村征地补偿款比别的村低", "城关镇王庄村村民反映补偿标准低。")
    policy = features(matcher, "江淮省公布新一轮征地区片综合地价标准", "全省征地补偿标准提高。")
    assert index.find(village, ["land"], later) is None  # same topic, another village
    assert index.find(policy, ["land"], later) is None  # a policy piece names no spot
    same_place = features(matcher, "李家村征地补偿款每亩少给一万多", "城关镇李家村村民反映。")
    assert index.find(same_place, ["wages"], later) is None  # another topic


def test_the_window_is_longer_while_the_alert_is_handled(matcher: Matcher) -> None:
    rules = EventRules(window=timedelta(days=3), open_window=timedelta(days=30))
    follow = features(matcher, "城东花园小区拆迁补偿款仍未到位", "华强公司再次推脱，50万元仍没影。")
    late = T0 + timedelta(days=10)
    for still_open, joins in ((True, True), (False, False)):
        index = EventIndex(rules)
        index.add(1, features(matcher, *STORY), ["land"], T0, open=still_open)
        assert (index.find(follow, ["land"], late) is not None) is joins


def test_a_closed_or_forgotten_story_is_no_candidate(matcher: Matcher) -> None:
    index = index_with(matcher, *STORY)
    index.close(1)
    follow = features(matcher, "城东花园小区拆迁补偿款仍未到位", "华强公司推脱。")
    assert index.find(follow, ["land"], T0 + timedelta(days=5)) is None
    assert index.find(follow, ["land"], T0 + timedelta(days=1)) is not None
    index.forget(1)
    assert index.find(follow, ["land"], T0 + timedelta(days=1)) is None and len(index) == 0


def test_the_grouper_tries_copies_first_and_skips_features_for_them(matcher: Matcher) -> None:
    g = Grouper()
    title, body = STORY
    calls: list[str] = []

    def feats() -> EventFeatures:
        calls.append("features")
        return features(matcher, title, body)

    sig = post_signature(matcher, title, body)
    placed, f = g.place(sig, ["land"], T0, feats)
    assert placed is None and f is not None
    g.add(7, sig, f, ["land"], T0)
    calls.clear()
    copy, f2 = g.place(post_signature(matcher, title, body + "（转载）"), ["land"], T0, feats)
    assert copy is not None and copy.kind == "repost" and copy.story_id == 7
    assert copy.why.startswith("转载") and f2 is None and calls == []


def test_places_are_records() -> None:
    p = Place(kind="村", key="李家", name="李家村")
    assert p.spot and p.ident == "村:李家"
    assert not Place(kind="场所", key="中心", name="中心小学", weak=True).spot


# ------------------------------------------------------------------ the labelled set


@pytest.fixture(scope="module")
def labelled() -> events_eval.Labelled:
    return events_eval.load()


def test_the_labelled_set_meets_its_goals(labelled: events_eval.Labelled) -> None:
    out = events_eval.group(labelled)
    s = events_eval.score(labelled, out)
    assert not out.unmatched
    assert s.bcubed_f1 >= 0.9, s
    assert s.negatives_merged == (), s.negatives_merged
    assert s.verbatim_missed == (), s.verbatim_missed
    # every joined post says why, in the words a lead office reads
    joined = [pid for pid, how in out.how.items() if how]
    assert joined and all(out.why[pid].startswith(("同一事件", "转载")) for pid in joined)


def test_the_event_step_is_what_groups_rewrites(labelled: events_eval.Labelled) -> None:
    copies = events_eval.score(labelled, events_eval.group(labelled, events=False))
    events = events_eval.score(labelled, events_eval.group(labelled))
    assert copies.bcubed_recall < 0.5 < events.bcubed_recall
    assert events.events_whole > copies.events_whole + 0.3
