"""What the demo site publishes: realistic posts of a small county, released over time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoPost:
    after: float  # seconds after the demo starts that it appears
    where: str  # forum, portal, board or feed
    title: str
    body: str
    replies: int = 0


POSTS = (
    DemoPost(after=0, where="forum", title="女山湖镇强拆农户房屋，补偿款至今未到位",
             body="村里十几户房子被强拆，说好的补偿款半年了还没到位，找镇里也没人管。", replies=35),
    DemoPost(after=0, where="forum", title="周末去哪儿玩？推荐几个好地方",
             body="想带孩子出去走走，大家有什么推荐。", replies=3),
    DemoPost(after=0, where="portal", title="明光市召开安全生产工作会议",
             body="会议强调，各单位要压实安全生产责任，确保全市安全形势稳定。"),
    DemoPost(after=0, where="feed", title="明光一工地拖欠农民工工资半年 工人讨薪无门",
             body="记者获悉，明光一工地拖欠农民工工资半年，工人多次讨薪无门。"),
    DemoPost(after=0, where="board", title="明东街道某小学收取资料费是否合理？",
             body="孩子所在学校每学期额外收取资料费和补课费，请领导关注。", replies=2),
    DemoPost(after=15, where="board", title="管店镇某小区门前垃圾成堆、污水横流",
             body="小区门口垃圾好几天没人清理，污水横流，居民出行很不方便。", replies=6),
    DemoPost(after=25, where="forum", title="明光城南一在建楼房发生坍塌，有人员被困",
             body="刚才路过看到城南工地一栋在建楼房坍塌，消防已经到场，听说有工人被困。",
             replies=88),
    DemoPost(after=40, where="feed", title="滁州举行马拉松比赛",
             body="数千名选手参赛，赛事圆满结束。"),
    DemoPost(after=50, where="portal", title="关于女山湖镇群众反映拆迁补偿问题的回复",
             body="网民反映女山湖镇拆迁补偿款未到位，经核实，已责成相关单位限期整改。"),
    DemoPost(after=70, where="board", title="明光某驾校乱收费，考试还要另交钱",
             body="报名时说全包，结果考试前又要交各种费用，这是不是乱收费？", replies=4),
)  # fmt: skip

KEYWORDS = """\
region: [明光, 女山湖镇, 管店镇, 明东街道, 城南]
dictionary: [女山湖镇, 管店镇, 明东街道]
exclude: [招聘启事]
topics:
  - id: land
    name: 征地拆迁
    department: zrzy
    severity: major
    any: [强拆, 拆迁, 补偿款]
  - id: wages
    name: 欠薪
    department: rlsb
    severity: major
    any: [拖欠工资, 农民工工资, 讨薪]
  - id: living
    name: 人居环境
    department: zjj
    any: [垃圾成堆, 污水横流]
  - id: fees
    name: 教育收费
    department: jyj
    any: [乱收费, 补课费, 资料费]
  - id: accident
    name: 安全事故
    department: yjj
    severity: critical
    any: [坍塌, 爆炸, 人员被困]
"""
