"""The words the event step reads places and organisations by (features.py): place words
and their kinds, common words that only look like places, what firms are called, and the
part-of-speech flags of names."""

from __future__ import annotations

import re

# Place kinds. Spots (a village, a compound, a road, a school) pin an event down; areas (towns,
# streets) and administrative names (county, city) narrow it only a little.
VILLAGE, HOUSING, ROAD, FACILITY, AREA, ADMIN = "村", "小区", "路", "场所", "镇", "县"
SPOTS = frozenset({VILLAGE, HOUSING, ROAD, FACILITY})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Tokens that are a place word by themselves.
PLACE_WORDS: dict[str, str] = {
    "村": VILLAGE, "行政村": VILLAGE, "自然村": VILLAGE, "村组": VILLAGE, "组": VILLAGE,
    "小区": HOUSING, "花园": HOUSING, "家园": HOUSING, "公寓": HOUSING, "新村": HOUSING,
    "苑": HOUSING, "社区": HOUSING, "新城": HOUSING, "佳苑": HOUSING, "名苑": HOUSING,
    "雅苑": HOUSING, "华府": HOUSING, "华庭": HOUSING, "府": HOUSING, "安置小区": HOUSING,
    "公馆": HOUSING, "雅居": HOUSING,
    "路": ROAD, "街": ROAD, "大街": ROAD, "大道": ROAD, "巷": ROAD, "公路": ROAD,
    "国道": ROAD, "省道": ROAD, "大桥": ROAD, "桥": ROAD, "隧道": ROAD,
    "学校": FACILITY, "中学": FACILITY, "小学": FACILITY, "幼儿园": FACILITY,
    "医院": FACILITY, "卫生院": FACILITY, "市场": FACILITY, "农贸市场": FACILITY,
    "菜市场": FACILITY, "广场": FACILITY, "工业园": FACILITY, "工业园区": FACILITY,
    "园区": FACILITY, "开发区": FACILITY, "水库": FACILITY, "公园": FACILITY,
    "车站": FACILITY, "汽车站": FACILITY, "垃圾场": FACILITY, "填埋场": FACILITY,
    "养殖场": FACILITY, "河": FACILITY, "湖": FACILITY, "港": FACILITY,
    "镇": AREA, "乡": AREA, "街道": AREA, "办事处": AREA, "片区": AREA,
    "县": ADMIN, "市": ADMIN, "区": ADMIN, "省": ADMIN, "州": ADMIN,
}  # fmt: skip
# A token ending in one of these, when it is a name (李家村, 解放路, 城关镇), is a place.
PLACE_ENDINGS: dict[str, str] = {
    "村": VILLAGE, "庄": VILLAGE, "屯": VILLAGE, "苑": HOUSING, "园": HOUSING,
    "路": ROAD, "街": ROAD, "巷": ROAD, "道": ROAD, "桥": ROAD,
    "河": FACILITY, "湖": FACILITY, "塘": FACILITY, "沟": FACILITY, "渠": FACILITY,
    "镇": AREA, "乡": AREA, "县": ADMIN, "市": ADMIN, "省": ADMIN, "区": ADMIN,
}  # fmt: skip
# Common words that end like a place name and are none.
NOT_PLACES = _words(
    "线路 公交线路 道路 马路 电路 线路板 出路 思路 套路 门路 来路 网路 铁路 水路 陆路 "
    "地区 辖区 景区 城区 市区 郊区 园区 小区 社区 误区 雷区 专区 "
    "农村 乡村 城市 都市 超市 股市 楼市 车市 夜市 上市 城镇 乡镇 村镇 集镇 "
    "校园 公园 家园 田园 花园 乐园 果园 菜园 庄园 陵园 "
    "街道 大街 渠道 频道 通道 管道 报道 知道 味道 跑道 轨道 隧道 赛道 "
    "水沟 山沟 河沟 池塘 鱼塘 水塘 河道 沟渠 水渠"
)
# Where a place word is glued to what follows it: 路上 (on the road), 村里 (in the village).
GLUED: dict[str, str] = {
    "路上": "路", "路口": "路", "路边": "路", "路段": "路", "街上": "街",
    "街头": "街", "村里": "村", "村口": "村", "村头": "村", "小区内": "小区", "小区里": "小区",
    "桥上": "桥", "桥下": "桥", "镇上": "镇", "镇里": "镇", "县里": "县", "河里": "河",
}  # fmt: skip
ORG_WORDS = _words(
    "公司 有限公司 有限责任公司 股份有限公司 集团 厂 工厂 加工厂 酒店 宾馆 "
    "饭店 餐厅 超市 商场 银行 物业 物业公司 合作社 驾校 诊所 药店 "
    "培训机构 培训学校 项目部 工程队 砖厂 化工厂 造纸厂 水泥厂 搅拌站 "
    "洗浴中心 网吧 幼儿园 "
)
# Flags of tokens that may be part of a name: nouns, names, abbreviations, place nouns,
# descriptive adjectives (幸福路, 阳光花园), numerals (三号路) and unknown words.
NAME_FLAGS = frozenset({"n", "nr", "nrfg", "nrt", "ns", "nt", "nz", "j", "ng", "a", "an", "s"})
# Of those, the flags of proper names; a common noun or adjective is part of a name only when
# it is not a common word (幸福 in 幸福路 is rare enough in news; 通报, 部分 are not).
PROPER_FLAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nt", "nz", "j"})
# What a company does, not what it is called: 清河县公共交通有限公司 has no trade name.
INDUSTRY = _words(
    "公共交通 公交 建设工程 建筑工程 建筑 工程 房地产 房地产开发 置业 物业管理 物业服务 自来水 "
    "供水 供电 燃气 热力 环保 环境 科技 实业 贸易 商贸 投资 发展 建设 开发 城市 城投 交通 "
    "运输 客运 劳务 餐饮 食品 化工 服饰 服装"
)
NOT_NAMES = _words(
    "我们 你们 他们 这个 那个 这里 那里 附近 周边 周围 旁边 对面 全体 "
    "广大 部分 很多 一些 所有 整个 本地 当地 外地 老旧 新建 小区 居民 "
    "村民 业主 群众 百姓 工人 农民工 网友 记者 政府 领导 问题 情况 拆迁 "
    "补偿 补偿款 污染 垃圾 噪音 工资 物业 学生 家长 老师 村委会 居委会 "
    "前面 后面 开发商 承包商 施工方 业主方 厂家 商家 老板 "
)
# Names that many towns give a school, hospital or compound: 中心小学, 第一中学, 人民医院.
GENERIC_NAMES = _words(
    "中心 第一 第二 第三 第四 第五 实验 人民 城关 新华 育才 希望 阳光 幸福 和平 胜利 光明 "
    "东方 红星 向阳 中医 妇幼 县 市 镇 乡"
)
ORG_ENDINGS = ("厂", "公司", "集团", "酒店", "超市", "银行", "宾馆", "饭店")
ROUTE = re.compile(r"(?<![0-9])([0-9]{1,3})路(?:公交|公共汽车|班车|车)")
MAX_NAME_TOKENS = 2
MAX_NAME_CHARS = 5
NUMERAL = re.compile(r"[0-9一二三四五六七八九十]{1,4}号?")
