"""People in messages: who a note mentions, and who is new.

    match_contacts(text, contacts) -> ContactMatches(linked, ambiguous, unknown)
    extract_new_contacts(text) -> list[NewContact(name, title, start, end)]
    read_people(text, contacts) -> People(linked, ambiguous, new, not_people)
    split_title(text) -> (title, end) | None       a job title at the start of text

Words are not people
--------------------
* Role, title and acronym words (CEO, COO, VP, QBR, PO, team, procurement, the client,
  采购, 财务, 老板, 领导, 客户, 对方, 技术, 团队 …) are never names.
* A Latin name is one to three capitalised words that are none of those, optionally
  after Dr./Mr./Ms./Mrs./Prof.  A Chinese name is a surname (single or compound) and
  one or two given characters that are not a common word (``见了客户`` names nobody,
  ``周五`` is a day).
* Surname + honorific (``王总``, ``李经理``, ``张总监``, ``刘工``, ``陈老师``, ``小王``,
  ``Dr. Chen``, ``Mr. Li``) and a lone first name or surname (``Sarah``) *refer* to a
  contact: they link when exactly one of the account's contacts fits, are ambiguous
  when several do, and never create anyone (except ``Dr. Chen``-style Latin forms,
  which are how English notes name a new person).
* A new contact comes only from a person-name phrase after met / with / talked to /
  见了 / 拜访了 / 和…通了电话 / 跟…聊 …; a title may follow after a dash, a comma, a
  parenthesis or just a space (``周凯 项目经理``, ``Dr. Chen — Director of Clinical
  Ops``, ``Zhang Min, Head of Purchasing``), or come first in Chinese (``财务总监王建国``).

Offsets (``NewContact.start``/``end``) index the text as given: the parsers read
``fold(text)``, which keeps every character in its place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .text import fold, is_cjk, normalize

if TYPE_CHECKING:
    from .names import Candidate

__all__ = [
    "COMPOUND_SURNAMES",
    "ContactMatches",
    "NewContact",
    "People",
    "chinese_surname",
    "extract_new_contacts",
    "is_role_word",
    "latin_surnames",
    "leading_name",
    "looks_like_name",
    "match_contacts",
    "read_people",
    "split_title",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass
class ContactMatches:
    """Contacts found in a text.

    ``linked``: keys of the contacts named, in order of first mention.
    ``ambiguous``: mentions that fit several contacts (``Mr. Li``, ``Sarah``).
    ``unknown``: honorific references that fit no contact (``王总`` with no 王).
    """

    linked: list[Any] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NewContact:
    """A person named in a note, maybe with a title: ``Li Wei, CFO``.

    ``start``/``end`` is the span of the name in the text as given (not compared).
    """

    name: str
    title: str | None = None
    start: int = field(default=-1, compare=False)
    end: int = field(default=-1, compare=False)


@dataclass
class People:
    """Everything :func:`read_people` understood about the people in a note."""

    linked: list[Any] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    new: list[NewContact] = field(default_factory=list)
    not_people: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Surnames

COMPOUND_SURNAMES = _words(
    "欧阳 司马 诸葛 上官 东方 慕容 皇甫 尉迟 公孙 令狐 长孙 宇文 司徒 夏侯 端木 "
    "独孤 南宫 西门 轩辕 澹台 百里 呼延 万俟 申屠 闻人 赫连 钟离 闾丘 太史 第五"
)
_COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰"
    "焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲"
    "房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟"
    "应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_PINYIN_SURNAMES = _words(
    "wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo "
    "zheng liang xie song tang han feng deng cao peng zeng xiao tian dong yuan pan yu "
    "jiang cai du ye cheng su wei lu ding ren shen yao cui zhong tan fan jin shi liao jia "
    "xia fu fang bai zou meng xiong qin qiu yin xue yan duan lei hou long tao kong wen "
    "kang qiao gu mao hao gong shao qian dai mo chang niu ge xing an qi pang ni zhuang "
    "nie zhai geng guan lan jiao zuo gan zhu bao ning shang shu ruan ke ji mei tong ling "
    "bi shan pei huo tu miao sheng qu weng ran lan xin mu cen jing dang ou yi"
)
_CN_HONORIFICS = (
    "总经理|董事长|副总|总监|总裁|经理|主任|处长|局长|部长|科长|院长|校长|书记|主管|老师|老板|"
    "先生|女士|小姐|教授|博士|律师|会计|总|董|工|处|局|姐|哥|sir"
)
_SURNAME_RE = "|".join(sorted(COMPOUND_SURNAMES)) + r"|[\u4e00-\u9fff]"
_CN_HONORIFIC_RE = re.compile(rf"(?P<sur>{_SURNAME_RE})(?P<hon>{_CN_HONORIFICS})")
# Quick scan for it: a character followed by the first character of an honorific.
_CN_HONORIFIC_SCAN = re.compile(
    "[\u4e00-\u9fff](?=["
    + "".join(sorted({h[0] for h in _CN_HONORIFICS.split("|") if not h.isascii()}))
    + "])"
)
# 老王, 小李: the familiar forms.
_CN_FAMILIAR_RE = re.compile(rf"[老小](?P<sur>{_SURNAME_RE})")
_EN_HONORIFIC = r"(?:Mrs|Mr|Ms|Miss|Dr|Prof|Mx)"
_EN_WORD_SCAN = re.compile(r"[A-Za-z][A-Za-z/]*|1:1")


def _en_honorifics(s: str) -> list[re.Match[str]]:
    found = []
    for w in _EN_WORD_SCAN.finditer(s):
        if w.group(0).casefold() in _EN_HONORIFIC_WORDS:
            m = _EN_HONORIFIC_RE.match(s, w.start())
            if m is not None:
                found.append(m)
    return found


_EN_HONORIFIC_RE = re.compile(
    rf"(?<![A-Za-z])(?P<hon>{_EN_HONORIFIC})\.?\s+(?P<sur>[A-Za-z][A-Za-z'’-]*)",
    re.IGNORECASE,
)


def chinese_surname(name: str) -> str | None:
    """The surname of a name written in Chinese characters, else None."""
    name = normalize(name).replace(" ", "")
    if not name or not is_cjk(name[0]):
        return None
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[0]


def latin_surnames(name: str) -> frozenset[str]:
    """The words of a Latin-script name that may be a surname (case-folded)."""
    words = _latin_words(name)
    if not words:
        return frozenset()
    found = {words[-1]}
    if len(words) > 1 and words[0] in _PINYIN_SURNAMES:
        found.add(words[0])
    return frozenset(found)


def _latin_words(name: str) -> list[str]:
    words = [w for w in re.split(r"[\s,]+", normalize(name).casefold()) if w]
    words = [w.rstrip(".") for w in words if w.isascii() and any(ch.isalpha() for ch in w)]
    return [w for w in words if w not in _EN_HONORIFIC_WORDS]


def _first_name(name: str) -> str | None:
    """The first name of a Latin-script name of two or more words (``Sarah Miller``)."""
    words = _latin_words(name)
    if len(words) < 2 or (words[0] in _PINYIN_SURNAMES and len(words) == 2):
        # Li Wei: "Li" is the surname (already a surname key), "Wei" the given name.
        return words[-1] if len(words) == 2 and words[0] in _PINYIN_SURNAMES else None
    return words[0]


# ---------------------------------------------------------------------------
# Words that are not people

_EN_HONORIFIC_WORDS = _words("mr mrs ms miss dr prof mx")
# Acronyms and role words: never a name, often a title.
_EN_ACRONYMS = _words(
    "ceo cfo coo cto cio cmo cpo cso ciso cro cco chro cdo vp svp evp avp gm md it hr pr "
    "qbr po poc pov rfp rfq rfi sow nda msa sla kpi okr roi mou loi bd ops r&d qa pm tbd"
)
_EN_TITLE_HEADS = _words(
    "ceo cfo coo cto cio cmo cpo cso ciso cro cco chro cdo vp svp evp avp gm md "
    "president director manager head chief lead leader engineer officer chairman "
    "chairwoman chair founder cofounder co-founder owner partner buyer architect "
    "consultant analyst admin administrator secretary assistant specialist coordinator "
    "supervisor principal counsel controller treasurer executive representative rep "
    "advisor adviser professor doctor nurse physician pharmacist scientist researcher "
    "editor superintendent commissioner dean registrar agent associate intern "
    "accountant auditor planner strategist designer developer technician foreman pm"
)
_EN_TITLE_MODIFIERS = _words(
    "vice senior sr sr. junior jr deputy assistant associate general regional global "
    "national country area key account accounts managing executive acting interim "
    "chief principal lead staff group division divisional corporate site plant "
    "project program programme product new former"
)
_EN_DEPARTMENTS = _words(
    "sales marketing finance financial procurement purchasing it hr legal operations ops "
    "engineering product products r&d rd supply chain logistics quality qa clinical "
    "research development business strategy technology tech digital data security "
    "infrastructure facilities customer customers service services support "
    "manufacturing production warehouse medical affairs communications pr investor "
    "relations treasury accounting audit compliance risk people talent admin "
    "administration apac emea americas asia china europe north south east west "
    "innovation partnerships partner channel channels growth revenue commercial trade "
    "sourcing category categories tender payments billing it/ops information systems"
)
_EN_GROUP_WORDS = _words(
    "team teams folks people guys side staff crew group board office department dept "
    "committee management leadership everyone"
)
_EN_NOT_NAMES = (
    _EN_ACRONYMS
    | _EN_TITLE_HEADS
    | _EN_DEPARTMENTS
    | _EN_GROUP_WORDS
    | _words(
        "the a an and or to about for re regarding on at in of our their his her its my "
        "your we they he she i it them him us you this that these those there here "
        "client clients customer customers budget pricing price deal contract proposal "
        "quote demo meeting call lunch dinner coffee breakfast drinks visit today "
        "tomorrow yesterday tonight morning afternoon evening week month quarter year "
        "monday tuesday wednesday thursday friday saturday sunday january february march "
        "july september october november december "
        "next last this all both some everyone someone nobody boss bosses "
        "decision maker makers champion influencer blocker user users sponsor coach "
        "approved agreed signed confirmed said wants needs will would could should can "
        "new old other others again also just then later soon ok okay yes no thanks "
        "via w/ per from by with without after before during over under "
        "acme corp inc ltd llc co company group holdings"
    )
)
# Chinese words that stand where a person could but are not one.
_CN_NOT_NAMES = _words(
    "采购 财务 老板 领导 客户 对方 技术 团队 甲方 乙方 大家 他们 她们 我们 对方 公司 厂家 "
    "高层 高管 管理层 老总 总经理 董事长 负责人 业务 销售 法务 市场 运营 人事 行政 IT 工程师 "
    "用户 合作方 供应商 代理商 经销商 渠道 客户方 项目组 技术部 采购部 财务部 一把手"
)
# Two-character words that start with a surname character but are not names.
_CN_COMMON_WORDS = _words(
    "高兴 高层 高管 高度 高效 方案 方面 方便 方向 方式 成本 成交 成功 成都 成果 成单 成员 "
    "周五 周一 周二 周三 周四 周六 周日 周天 周末 周报 周会 周期 周边 明天 明年 明确 明白 "
    "明细 安排 安全 安装 安心 江苏 黄了 白天 文件 文档 文案 张罗 于是 何时 何况 常规 常用 "
    "时间 时候 时机 钱款 金额 金融 石油 马上 谢谢 任务 任何 夏天 夏季 付款 付了 顾问 顾客 "
    "毛利 万元 万一 严格 严重 施工 关于 关注 关系 关键 包括 包装 宁波 尚未 符合 纪要 单子 "
    "单位 季度 管理 解决 解释 简单 项目 费用 全部 全面 应该 商务 商量 查看 麻烦 连续 连接 "
    "路上 游戏 华夏 华东 华南 华北 华中 郑州 苏州 沈阳 武汉 杭州 南京 上海 北京 广州 深圳 "
    "陆续 范围 程序 程度 许多 许可 史上 龙头 齐全 易用 平安 康复 温度 向上 向下 汤包 "
    "计划 孙子 叶子 林业 曾经 田地 董事 余下 杜绝 钟头 毕竟 凌晨 屈服 车间 车辆 米饭 "
    "宗旨 全国 全年 全员 应用 应收 边界 师傅 商机 沙盘 查询 迟到 冷链 席位 卫生 景气 "
    "党委 宫殿 卜卦 晏会 古代 吉利 司机 卓越 穆斯 农业 阳光 时代 艾滋 尤其 饶了 解约 "
    "牟利 滕州 房子 房间 蒲公 祁连 喻为 鲍鱼 蒙古 柴油 靳. 辛苦 骆驼 蓝图 翁婿 曲线 盛情 "
    "谷歌 苗头 涂料 霍乱 裴氏 童年 梅花 柯桥 阮囊 舒服 甘肃 柳州 左右 俞氏 焦点 兰州 耿直 "
    "欧洲 申请 申报 詹氏 殷切 翟氏 岳父 鲁莽 章程 聂氏 庄园 倪氏 颜色 庞大 伍氏 乔迁 易于 "
    "齐心 邢台 葛根 樊篱 牛奶 文化 康师 温州 常州 汤姆 孔子 莫名 戴尔 武器 覃氏 严谨 钱包 "
    "万达 邵阳 龚氏 郝氏 毛病 顾虑 贺卡 黎明 陶瓷 史料 龙华 侯选 雷同 段落 阎王 闫氏 薛氏 "
    "尹氏 江西 邱氏 秦朝 熊猫 孟子 邹氏 白色 方才 傅氏 付出 韦氏 夏令 贾氏 廖氏 石家 金牌 "
    "范例 汪洋 陆地 谭氏 钟表 崔氏 姜汁 卢氏 姚氏 沈氏 任职 丁点 吕氏 魏氏 苏醒 程度 杜撰 "
    "余额 叶片 蔡氏 蒋氏 于今 潘氏 袁氏 董事 田间 肖像 曾几 彭湃 邓氏 曹操 冯氏 韩国 许久 "
    "唐朝 宋体 谢绝 梁柱 郑重 罗列 林立 郭氏 胡说 朱红 马虎 孙女 徐徐 周到 吴越 赵氏 黄金 "
    "杨柳 陈述 陈列 刘海 张贴 李子 王国 王牌 包邮 单独 成立 成熟 向前 时长 时效 连锁 全额 "
    "华为 腾讯 阿里 百度 万科 京东 美团 字节 联想 海尔 格力 中兴 苏宁 方太 蒙牛 安踏 康佳 华润 "
    "华能 金蝶 金山 万达 龙湖 伊利 顺丰 平安 招商 宁德 吉利 长城 长安 海康 西门子 施耐德 华住 "
    "万豪 希尔顿 喜来登 雷克萨斯 丰田 宝马 奔驰 苹果 微软 谷歌 甲骨文 思科 英特尔 戴尔 三星 索尼"
)
# Characters that end a given name rather than belong to one.
_NOT_GIVEN = frozenset(
    "了的是在和与跟及同说谈聊讲问答吃喝通开见约对已也都还就等把被让给向从到过着呢吗吧啊呀哦嘛啦"
    "们这那个些位里内外去来回发送签付交做办打电会议号日年再又很太更最不没未无将要想能以应该请"
    "总经理主任处局长老师工董先生女士小姐博教授律会计负责采购财务部门公司团队客户项目方案报价合同"
    "拜访谈判沟讨论确认表示同意并且而但或今昨前后上下午晚早已经"
)
# What may follow a Chinese name: a verb, a particle, a separator or a title.
_CN_AFTER_NAME = re.compile(
    r"[和与跟及同、说谈聊讲问答吃喝开见约对已也都还就等把让给向在的了呢吧啊并而但来去回发签提负主"
    r"是很非今昨明前后上下午晚刚他她带陪表同认沟讨交汇介拍定觉天打找帮让拿催要称讲提反答收看"
    r"这那也再才又把被从到过着吗呀哦嘛啦。，、；：！？]"
)

_CN_ORG = re.compile(
    r"[\u4e00-\u9fff]{1,4}?(?:公司|集团|重工|科技|银行|医院|大学|股份|有限|工厂|食品|港航|电子|"
    r"制药|物流|地产|能源|汽车|机械|电气|化工|传媒|信息|软件|网络|实业|贸易|商贸|医药|生物|"
    r"航空|证券|财富|电力|电网|石化|石油|移动|联通|电信|控股|国际|中国|集团)"
)
_CN_FAMILIAR_WORDS = _words("老师 小时 小于 小米 小康 小程 老成 老是 小心 小时候 老家 老区")

_CN_TITLE_SUFFIX = (
    "副总经理|总经理|副董事长|董事长|副总裁|总裁|副总|总监|经理|主任|处长|局长|部长|科长|院长|"
    "校长|所长|厂长|站长|行长|店长|组长|主管|负责人|工程师|总工|书记|秘书|助理|专员|顾问|老板|"
    "合伙人|创始人|采购部|财务部|技术部|采购|财务|会计|出纳|法务|律师|医生|医师|教授|博士|董事|总|"
    "部门|部|"
    "CEO|CFO|CTO|COO|CIO|CMO|VP|GM"
)
_CN_TITLE_RE = re.compile(rf"(?:{_CN_TITLE_SUFFIX})", re.IGNORECASE)


_ROLE_WORDS = (
    _EN_ACRONYMS
    | _EN_TITLE_HEADS
    | _EN_DEPARTMENTS
    | _EN_GROUP_WORDS
    | _words("client clients customer customers boss bosses")
)


def is_role_word(word: str) -> bool:
    """True when ``word`` is a role, title or acronym word (``COO``, ``procurement``,
    ``the client``, ``采购``, ``客户``), never a person."""
    w = normalize(word).casefold().strip(".,")
    if w.startswith(("the ", "their ", "our ")):
        w = w.split(" ", 1)[1]
    return w in _ROLE_WORDS or w in _CN_NOT_NAMES


# ---------------------------------------------------------------------------
# Contacts mentioned in a text


_HAS_CJK = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")


_PLAIN = re.compile("[^\x20-\x7e\u4e00-\u9fff]")


@lru_cache(maxsize=4096)
def _fold_one(ch: str) -> str:
    return fold(ch)


def _fold(text: str) -> str:
    """``fold(text)``, reading only the characters that may change (punctuation typed
    full-width, odd spaces, newlines); ASCII and CJK ideographs stay as they are."""
    return _PLAIN.sub(lambda m: _fold_one(m.group(0)), text)


@dataclass(frozen=True)
class _Book:
    """The account's contacts, indexed for matching (built once per set of names)."""

    regexes: tuple[tuple[str, str, str], ...]  # (first word, key, regex), longest first
    by_label: dict[str, list[int]]  # label key → contacts
    by_cn_surname: dict[str, list[int]]
    by_latin_surname: dict[str, list[int]]
    by_latin_word: dict[str, list[int]]  # surname or first name


def _label_key(text: str) -> str:
    return "".join(text.casefold().split())


def _label_regex(label: str) -> str | None:
    norm = normalize(label)
    if not norm:
        return None
    body = r"\s*".join(re.escape(part) for part in norm.split(" "))
    left = "" if is_cjk(norm[0]) else r"(?<![^\W_])"
    right = "" if is_cjk(norm[-1]) else r"(?![^\W_])"
    return left + body + right


@lru_cache(maxsize=256)
def _book(names: tuple[tuple[str, ...], ...]) -> _Book:
    by_label: dict[str, list[int]] = {}
    regexes: dict[str, str] = {}
    firsts: dict[str, str] = {}
    by_cn: dict[str, list[int]] = {}
    by_sur: dict[str, list[int]] = {}
    by_word: dict[str, list[int]] = {}
    for i, labels in enumerate(names):
        for label in labels:
            regex = _label_regex(label)
            if regex is None:
                continue
            key = _label_key(normalize(label))
            regexes.setdefault(key, regex)
            firsts.setdefault(key, normalize(label).casefold().split(" ")[0][:2])
            owners = by_label.setdefault(key, [])
            if i not in owners:
                owners.append(i)
        cn = chinese_surname(labels[0])
        if cn:
            by_cn.setdefault(cn, []).append(i)
        surnames = latin_surnames(labels[0])
        for sur in surnames:
            by_sur.setdefault(sur, []).append(i)
        first = _first_name(labels[0])
        for word in {*surnames, *([first] if first else [])}:
            by_word.setdefault(word, []).append(i)
    ordered = tuple(
        (firsts[key], key, rx) for key, rx in sorted(regexes.items(), key=lambda kv: -len(kv[0]))
    )
    return _Book(ordered, by_label, by_cn, by_sur, by_word)


@lru_cache(maxsize=1024)
def _labels_regex(regexes: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{rx})" for rx in regexes), re.IGNORECASE)


_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9'’])[A-Z][A-Za-z'’-]*(?![A-Za-z0-9])")
_SENTENCE_END = re.compile(r"(?:^|[.!?;:。！？；：\n]\s*)$")
# First names that are everyday words too: at the start of a sentence they are the word.
_WORD_FIRST_NAMES = _words(
    "will may mark bill grace hope joy june april sue pat rob art faith chase frank rose "
    "jack max ray dean don drew guy lane miles sandy summer sky bob gene hunter page "
    "chair lead partner"
)


def match_contacts(text: str, contacts: Sequence[Candidate]) -> ContactMatches:
    """The contacts ``text`` mentions: by full name or alias, surname + honorific, or
    a lone first name / surname.

    Full names and aliases match case-insensitively (whole words for Latin
    script).  ``王总``, ``李经理``, ``小王``, ``Mr. Li``, ``Dr. Chen`` … and a capitalised
    lone ``Sarah`` / ``Miller`` link when exactly one contact fits (see the module
    docstring); when several do the mention goes to ``ambiguous``; a surname +
    honorific that fits nobody goes to ``unknown``.  Keys come in order of first mention.
    """
    s = _fold(text)
    result = ContactMatches()
    if not s.strip():
        return result
    book = _book(tuple(c.labels for c in contacts))
    spans: list[tuple[int, int, str, list[int]]] = []
    low = s.casefold()
    present = tuple(rx for first, _key, rx in book.regexes if first in low)
    if present:
        for m in _labels_regex(present).finditer(s):
            owners = book.by_label.get(_label_key(m.group(0)))
            if owners:
                spans.append((m.start(), m.end(), m.group(0), owners))

    def free(start: int, end: int) -> bool:
        return not any(start < sp[1] and sp[0] < end for sp in spans)

    unknown: list[tuple[int, str]] = []
    if _HAS_CJK.search(s):
        for regex in (_CN_HONORIFIC_RE, _CN_FAMILIAR_RE):
            hits = (
                (_CN_HONORIFIC_RE.match(s, h.start()) for h in _CN_HONORIFIC_SCAN.finditer(s))
                if regex is _CN_HONORIFIC_RE
                else regex.finditer(s)
            )
            for m in hits:
                if m is None:
                    continue
                if regex is _CN_FAMILIAR_RE and not _familiar_ok(s, m):
                    continue
                start, sur = m.start("sur"), m.group("sur")
                if len(sur) == 1 and start >= 1 and s[start - 1 : start + 1] in COMPOUND_SURNAMES:
                    sur, start = s[start - 1 : start + 1], start - 1
                start = min(start, m.start())
                if not free(start, m.end()) or s[max(0, start - 1) : start + 1] in _ENDS_IN_SURNAME:
                    continue
                owners = book.by_cn_surname.get(sur)
                if owners:
                    spans.append((start, m.end(), s[start : m.end()], owners))
                elif _is_surname(sur) and regex is _CN_HONORIFIC_RE:
                    unknown.append((start, s[start : m.end()]))
    if book.by_latin_word:
        for m in _en_honorifics(s):
            if not free(m.start(), m.end()):
                continue
            owners = book.by_latin_surname.get(m.group("sur").casefold())
            if owners:
                spans.append((m.start(), m.end(), m.group(0), owners))
        # A lone capitalised first name or surname: "met Li Wei and Sarah".
        for m in _LATIN_WORD.finditer(s):
            start, end = m.start(), m.end()
            word = m.group(0)
            if word.endswith(("'s", "’s")):
                word, end = word[:-2], end - 2
            folded = word.casefold()
            owners = book.by_latin_word.get(folded)
            if not owners or folded in _EN_NOT_NAMES or word.isupper() or not free(start, end):
                continue
            if _in_longer_name(s, start, end):
                continue
            if _AFTER_HONORIFIC.search(s[max(0, start - 8) : start]):
                continue  # "Mrs. John": after an honorific only a surname counts
            if folded in _WORD_FIRST_NAMES and _SENTENCE_END.search(s[:start]):
                continue
            spans.append((start, end, word, owners))

    for _start, _end, mention, owners in sorted(spans, key=lambda sp: sp[0]):
        if len(owners) == 1:
            key = contacts[owners[0]].key
            if key not in result.linked:
                result.linked.append(key)
        elif mention not in result.ambiguous:
            result.ambiguous.append(mention)
    for _start, mention in sorted(unknown):
        if mention not in result.unknown:
            result.unknown.append(mention)
    return result


_AFTER_HONORIFIC = re.compile(rf"(?<![A-Za-z]){_EN_HONORIFIC}\.?\s+$", re.IGNORECASE)


def _in_longer_name(s: str, start: int, end: int) -> bool:
    """True when the capitalised word at ``start:end`` is part of a longer name phrase
    (``Tom`` in ``Tom Brown``), which is somebody else when it is not a contact."""
    after = re.match(r"\s([A-Z][A-Za-z'’-]*)", s[end : end + 30])
    if after and after.group(1).casefold() not in _EN_NOT_NAMES and not after.group(1).isupper():
        return True
    before = re.search(r"([A-Z][A-Za-z'’-]*)\s$", s[max(0, start - 30) : start])
    if before:
        word = before.group(1).casefold().rstrip(".")
        if word not in _EN_NOT_NAMES and not before.group(1).isupper():
            return not _SENTENCE_END.search(s[: start - len(before.group(0))])
    return False


# Words that end in a surname character: 对方老板 is not 方老板, 大区经理 not 区经理.
_ENDS_IN_SURNAME = _words(
    "对方 双方 甲方 乙方 买方 卖方 各方 我方 他方 大区 片区 园区 小区 地区 社区 新区"
)


def _familiar_ok(s: str, m: re.Match[str]) -> bool:
    """``老王`` / ``小李`` stand alone (``老师``, ``小时`` are words)."""
    end = m.end()
    if m.group(0) in _CN_FAMILIAR_WORDS or s[m.start() : end + 1] in _CN_FAMILIAR_WORDS:
        return False
    return end >= len(s) or not is_cjk(s[end]) or _CN_AFTER_NAME.match(s, end) is not None


def _is_surname(sur: str) -> bool:
    return sur in COMPOUND_SURNAMES or sur in _COMMON_SURNAMES


# ---------------------------------------------------------------------------
# Titles


_EN_TITLE_WORD = re.compile(r"[A-Za-z][A-Za-z&/.'’-]*")


def _title_word_kind(word: str) -> str | None:
    w = word.casefold().rstrip(".")
    if w in _EN_TITLE_HEADS or w in _EN_ACRONYMS:
        return "head"
    if w in _EN_TITLE_MODIFIERS or w in _EN_DEPARTMENTS:
        return "mod"
    if w in ("of", "for", "&", "and", "/", "-", "to", "in"):
        return "join"
    if word[:1].isupper() and w not in _EN_NOT_NAMES:
        return "cap"
    return None


def _en_title_at(s: str, pos: int) -> tuple[str, int] | None:
    """An English job title starting at ``pos``: ``Head of Purchasing``, ``VP Sales``,
    ``procurement manager``, ``Director of Clinical Ops``.  (title, end) or None."""
    i = pos
    words: list[tuple[str, str, int, int]] = []  # word, kind, start, end
    while True:
        m = re.compile(r"\s*([A-Za-z][A-Za-z&/.'’-]*|&)").match(s, i)
        if m is None:
            break
        word = m.group(1).rstrip(".") if not m.group(1).endswith("Sr.") else m.group(1)
        kind = _title_word_kind(word)
        if kind is None:
            break
        if kind == "cap" and not words:
            break
        if kind == "cap" and not any(k == "join" for _w, k, _s, _e in words):
            break  # "CFO Li Wei": a name after the title; "Director of Clinical Ops": fine
        if word.casefold() == "and":
            nxt = re.compile(r"\s+([A-Za-z][A-Za-z&/'’-]*)").match(s, m.end())
            if nxt is None or nxt.group(1).casefold() not in _EN_DEPARTMENTS:
                break
        words.append((word, kind, m.start(1), m.start(1) + len(word)))
        i = m.end()
        if len(words) >= 7:
            break
    while words and words[-1][1] == "join":
        words.pop()
    if not any(k == "head" for _w, k, _s, _e in words):
        return None
    start, end = words[0][2], words[-1][3]
    return s[start:end], end


_CN_TITLE_BREAK = frozenset(
    "和与及、了的是在说谈聊见约对已也都还就等把给向今昨明天年月日号周吃喝开通"
)


def _cn_title_at(s: str, pos: int, *, before_name: bool = True) -> tuple[str, int] | None:
    """A Chinese job title starting at ``pos``: ``项目经理``, ``财务总监``, ``采购``.

    It ends at the first title word followed by a break (punctuation, a verb, the
    end) or — with ``before_name`` — by a person's name (``财务总监王建国``); failing
    that, at the first title word."""
    window = s[pos : pos + 10]
    for cut, ch in enumerate(window):
        if not (is_cjk(ch) or (ch.isascii() and ch.isalpha())) or ch in _CN_TITLE_BREAK:
            window = window[:cut]
            break
    if _CN_TITLE_RE.search(window) is None:
        return None
    first: int | None = None
    for start in range(len(window)):
        m = _CN_TITLE_RE.match(window, start)
        if m is None:
            continue
        end = m.end()
        if first is None:
            first = end
        if (
            end >= len(window)
            or pos + end >= len(s)
            or not is_cjk(s[pos + end])
            or _CN_AFTER_NAME.match(s, pos + end)
            or (
                before_name
                and (
                    _cn_name_at(s, pos + end, titles=False) is not None
                    or _cn_honorific_at(s, pos + end) is not None
                )
            )
        ):
            first = end
            break
    if first is None:
        return None
    if any(ch.isascii() and ch.isalpha() for ch in window[:first]) and not window[:first].isascii():
        return None  # 王X经理: mixed scripts are not a title
    return s[pos : pos + first], pos + first


def split_title(text: str) -> tuple[str, int] | None:
    """A job title at the very start of ``text`` (English or Chinese), and where it ends."""
    s = _fold(text)
    pos = len(s) - len(s.lstrip())
    if pos < len(s) and is_cjk(s[pos]):
        return _cn_title_at(s, pos)
    return _en_title_at(s, pos)


_TITLE_LEAD = re.compile(r"\s*(?:[,，]|[-–—]+|[:：]|\s)\s*")
_PAREN = re.compile(r"\s*[(（]([^()（）]{1,60})[)）]")


def _title_after(s: str, pos: int) -> tuple[str | None, int]:
    """A title right after a name: ``(CFO)``, ``, Head of Purchasing``, `` — Director…``,
    ``，总经理``, `` 项目经理`` or ``项目经理`` (Chinese, nothing between)."""
    paren = _PAREN.match(s, pos)
    if paren:
        return normalize(paren.group(1)), paren.end()
    lead = _TITLE_LEAD.match(s, pos)
    starts = [pos] if pos < len(s) and is_cjk(s[pos]) else []
    if lead is not None and lead.end() > pos:
        starts.append(lead.end())
    for at in starts:
        if at >= len(s):
            continue
        got = _cn_title_at(s, at) if is_cjk(s[at]) else _en_title_at(s, at)
        if got is None:
            continue
        title, end = got
        # After a comma/dash the title must end the clause: "Li Wei, CFO, and …" yes,
        # "Li Wei, CFO Tom said" no.
        tail = s[end : end + 12]
        if (
            tail
            and not re.match(r"\s*(?:[,.;:!?()\-–—，。；：！？、（）]|and\b|&|$)", tail)
            and not is_cjk(tail[0])
            and not re.match(r"\s+[a-z]", tail)
        ):
            continue
        return normalize(title), end
    return None, pos


# ---------------------------------------------------------------------------
# Names


_EN_NAME_WORD = re.compile(r"[A-Z][A-Za-z'’-]*")
_EN_HONORIFIC_AT = re.compile(rf"{_EN_HONORIFIC}\.?\s+", re.IGNORECASE)


def _en_name_at(s: str, pos: int, *, org_check: bool = True) -> tuple[int, int] | None:
    """A Latin person-name phrase at ``pos``: 1–3 capitalised words that are not role,
    title or common words, optionally after Dr./Mr./Ms. …  (start, end) or None."""
    start = pos
    hon = _EN_HONORIFIC_AT.match(s, pos)
    if hon is not None and s[pos].isupper():
        pos = hon.end()
    count, end = 0, pos
    while count < 3:
        m = _EN_NAME_WORD.match(s, pos)
        if m is None:
            break
        word = m.group(0)
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        bare = word.casefold()
        if (word.isupper() and len(word) > 1) or len(word) < 2:
            break
        if bare in _EN_NOT_NAMES and not (
            bare in _WORD_FIRST_NAMES and count == 0 and _followed_by_name_word(s, m.end())
        ):
            break
        count, end = count + 1, m.start() + len(word)
        nxt = re.compile(r"[ \t]+(?=[A-Z])").match(s, end)
        if nxt is None:
            break
        pos = nxt.end()
    if count == 0:
        return None
    if count == 1 and start == pos and _companyish(s[pos:end]):
        return None
    # "Initech procurement", "Acme team": an organisation, not a person.
    group = re.compile(r"\s+([A-Za-z&/]+)(?:\s+([A-Za-z]+))?").match(s, end)
    if group is not None and org_check:
        first, second = (g.casefold() if g else "" for g in group.groups())
        if first in _EN_GROUP_WORDS or second in _EN_GROUP_WORDS:
            return None
        if first in _EN_DEPARTMENTS and _en_title_at(s, end) is None:
            return None
    return start, end


_CJK_RUN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf]+")


def _followed_by_name_word(s: str, end: int) -> bool:
    """``Will Smith``, ``Dean Lee``: a first name that is also a word, then a surname."""
    nxt = re.compile(r"[ \t]+([A-Z][A-Za-z'’-]+)").match(s, end)
    return nxt is not None and nxt.group(1).casefold() not in _EN_NOT_NAMES


_COMPANY_ENDINGS = re.compile(
    r"(?:soft|tech|tec|tek|corp|ware|labs?|bank|systems|group|works|ify|mart|pharma|medica|"
    r"book|box|hub|base|link|point|force|cloud|data|logic|motors|airlines|foods|energy)$",
    re.IGNORECASE,
)
_CAMEL_OK = re.compile(r"(?:Mc|Mac|De|Di|Da|Du|La|Le|Van|Von|O['’])[A-Z]")
_COMPANIES = _words(
    "microsoft google apple amazon oracle siemens cisco huawei tencent alibaba baidu intel "
    "dell samsung sony tesla meta facebook salesforce accenture deloitte kpmg pwc mckinsey "
    "starbucks walmart nike adobe nvidia bosch philips honeywell schneider boeing airbus "
    "shell unilever nestle pfizer novartis roche bayer basf lenovo xiaomi bytedance "
    "meituan haier midea byd geely toyota honda ford volkswagen bmw audi mercedes ikea "
    "costco target acme globex initech hooli umbrella"
)


def _companyish(word: str) -> bool:
    """A lone capitalised word that reads like a company (``Initech``, ``MetLife``,
    ``Microsoft``): as the whole phrase after ``called`` / ``met with`` it is not a person."""
    if word.casefold() in _COMPANIES or _COMPANY_ENDINGS.search(word):
        return True
    return bool(re.search(r"[a-z][A-Z]", word)) and not _CAMEL_OK.match(word)


def _cn_given_ok(given: str) -> bool:
    return _CJK_RUN.fullmatch(given) is not None and _NOT_GIVEN.isdisjoint(given)


def _cn_name_at(s: str, pos: int, *, titles: bool = True) -> tuple[int, int] | None:
    """A Chinese person name at ``pos`` (surname + 1–2 given characters that end
    where a verb, a particle, a separator or a title begins).  (start, end) or None."""
    sur = s[pos : pos + 2] if s[pos : pos + 2] in COMPOUND_SURNAMES else s[pos : pos + 1]
    if not _is_surname(sur):
        return None
    after_sur = pos + len(sur)
    if _CN_ORG.match(s, pos) or s[pos : pos + 2] in _CN_COMMON_WORDS:
        return None
    for size in (2, 1):
        end = after_sur + size
        if end > len(s):
            continue
        given = s[after_sur:end]
        name = s[pos:end]
        if not _cn_given_ok(given) or name in _CN_NOT_NAMES or name in _CN_COMMON_WORDS:
            continue
        if size == 2 and (given in _CN_COMMON_WORDS or s[pos + 1 : end] in _CN_COMMON_WORDS):
            continue
        if end == len(s) or not is_cjk(s[end]) or _CN_AFTER_NAME.match(s, end):
            return pos, end
        if titles and _cn_title_at(s, end, before_name=False) is not None:
            return pos, end
    return None


# ---------------------------------------------------------------------------
# New people named in a note

_EN_TRIGGER = re.compile(
    r"(?<![A-Za-z])(?:"
    r"(?:met|meet(?:ing)?|spoke|speaking|talked|talking|chatted|chatting|caught\s+up|"
    r"catch(?:ing)?\s+up|synced|sync(?:ing)?|checked\s+in|hung\s+out)"
    r"(?:\s+up)?(?:\s+(?:with|w/|to))?|"
    r"(?:call(?:ed)?|lunch|dinner|coffee|breakfast|drinks|meal|visit(?:ed)?|demo(?:ed)?|"
    r"session|workshop|1:1|one-on-one)\s+(?:with|w/)|"
    r"called|phoned|rang|emailed|e-mailed|pinged|saw|introduced\s+to|intro(?:duced)?|"
    r"(?P<weak>with|w/|via|incl(?:uding)?\.?|cc))(?![A-Za-z])\s*",
    re.IGNORECASE,
)
_EN_TRIGGER_FIRST = _words(
    "met meet meeting spoke speaking talked talking chatted chatting caught catch catching "
    "synced sync syncing checked hung call called lunch dinner coffee breakfast drinks meal "
    "visit visited demo demoed session workshop 1:1 one-on-one phoned rang emailed e-mailed "
    "pinged saw introduced intro with w/ via incl including cc"
)


def _en_triggers(s: str) -> list[re.Match[str]]:
    found: list[re.Match[str]] = []
    end = 0
    for w in _EN_WORD_SCAN.finditer(s):
        if w.start() < end or w.group(0).casefold() not in _EN_TRIGGER_FIRST:
            continue
        m = _EN_TRIGGER.match(s, w.start())
        if m is not None:
            found.append(m)
            end = m.end()
    return found


_EN_DETERMINERS = re.compile(r"(?:the|their|our|his|her|its|a|an|new|also|both)\s+", re.IGNORECASE)
_EN_MORE = re.compile(r"\s*(?:,\s*)?(?:and|&|plus)\s+|\s*[,/]\s*", re.IGNORECASE)

_CN_LIST_TRIGGER = re.compile(
    r"见了|见到了|见到|见过|拜见了|拜见|拜会了|拜会|会见了|会见|约了|约见了|约见|"
    r"宴请了|宴请|请了|陪了|陪同|联系了|找了|遇到了|碰到了|认识了|对接了|对接人是|对接人|"
    r"联系人是|联系人|介绍了|接待了|沟通了|致电|电联了|电联|打电话给|打给了|"
    r"(?P<weak>拜访了|拜访|见)"
)
_CN_WITH_TRIGGER = re.compile(r"和|跟|与|同|给|找|约")
_CN_WITH_VERB = re.compile(
    r"\s*(?:一起|见了?面|通了?(?:个)?电话|打了?(?:个)?电话|通话|聊|谈|吃|喝|开(?:了)?(?:个)?会|"
    r"碰(?:了)?(?:个)?头|碰面|沟通|交流|讨论|商量|商谈|确认|会面|视频|电话|对接|见|约|"
    r"发了|打了|说了|汇报)"
)
_CN_WITH_VERB_ANYWHERE = re.compile(_CN_WITH_VERB.pattern.replace(r"\s*", "", 1))
_CN_MORE = re.compile(r"\s*(?:、|,|，|和|与|及|跟|以及|还有)\s*")
_CN_DETERMINERS = re.compile(
    r"(?:他们的|他们|对方的|对方|客户的|客户方的|客户方|客户|新来的|新任的|新任|新)"
)


_CN_NOT_NAMES_RE = re.compile(
    "|".join(re.escape(w) for w in sorted(_CN_NOT_NAMES, key=len, reverse=True)), re.IGNORECASE
)


@dataclass
class _Item:
    start: int
    end: int
    kind: str  # "name" (a new person could be made), "ref" (an honorific), "role"
    title: str | None = None


def _cn_honorific_at(s: str, pos: int) -> tuple[int, int] | None:
    m = _CN_HONORIFIC_RE.match(s, pos)
    if m is None or not _is_surname(m.group("sur")):
        return None
    return m.start(), m.end()


def _cn_item(s: str, pos: int) -> _Item | None:
    familiar = _CN_FAMILIAR_RE.match(s, pos)
    if familiar is not None and _is_surname(familiar.group("sur")) and _familiar_ok(s, familiar):
        return _Item(pos, familiar.end(), "ref")
    title_first: str | None = None
    name = _cn_name_at(s, pos)
    hon = _cn_honorific_at(s, pos)
    if hon is not None and (name is None or name[1] <= hon[1]):
        return _Item(hon[0], hon[1], "ref")
    got_title = _cn_title_at(s, pos) if name is None else None
    if name is None and got_title is not None:
        title_first, after = got_title
        if s.startswith("的", after):
            after += 1
        name = _cn_name_at(s, after)
        if name is None:
            hon2 = _cn_honorific_at(s, after)
            if hon2 is not None:
                return _Item(hon2[0], hon2[1], "ref")
            return _Item(pos, after, "role")
    if name is None:
        role = _CN_NOT_NAMES_RE.match(s, pos)
        return None if role is None else _Item(pos, role.end(), "role")
    start, end = name
    title, end2 = _title_after(s, end)
    if title is None and title_first is not None:
        title = normalize(title_first)
    return _Item(start, end2 if title else end, "name", title)


_EN_ROLE_PAREN = re.compile(r"([A-Za-z][A-Za-z &/-]{0,40}?)\s*[(（]\s*")


def _en_item(s: str, pos: int) -> _Item | None:
    det = _EN_DETERMINERS.match(s, pos)
    at = det.end() if det else pos
    # "procurement (Linda Park)", "their IT lead (Raj)"
    paren = _EN_ROLE_PAREN.match(s, at)
    if paren is not None and all(w.casefold() in _EN_NOT_NAMES for w in paren.group(1).split()):
        inner = _en_name_at(s, paren.end())
        close = inner and re.compile(r"\s*[)）]").match(s, inner[1])
        if inner and close:
            return _Item(inner[0], close.end(), "name", normalize(paren.group(1)))
    # "their CFO Li Wei", "the CFO, Li Wei" (but "Dean Lee" is a name)
    first_word = re.compile(r"[A-Za-z]+").match(s, at)
    lead = (
        None
        if first_word
        and first_word.group(0).casefold() in _WORD_FIRST_NAMES
        and _followed_by_name_word(s, first_word.end())
        else _en_title_at(s, at)
    )
    title_first: str | None = None
    if lead is not None:
        title_first, after = lead
        sep = re.compile(r"\s*,?\s*").match(s, after)
        assert sep is not None
        at_name = sep.end()
        if at_name < len(s) and is_cjk(s[at_name]):
            name = _cn_name_at(s, at_name)
        elif at_name < len(s) and s[at_name].isupper():
            name = _en_name_at(s, at_name)
        else:
            name = None
        if name is None:
            return _Item(at, after, "role")
    else:
        name = _en_name_at(s, at) if at < len(s) and s[at].isupper() else None
        if name is None:
            if at < len(s) and is_cjk(s[at]):
                return _cn_item(s, at)
            word = re.compile(r"[A-Za-z]+(?:\s+[A-Za-z]+)?").match(s, at)
            if word is not None and word.group(0).split()[0].casefold() in _EN_NOT_NAMES:
                w = word.group(0).split()[0]
                if w.casefold() in _EN_ACRONYMS | _EN_TITLE_HEADS | _EN_GROUP_WORDS | {
                    "client",
                    "customer",
                    "boss",
                }:
                    return _Item(pos, word.start() + len(w), "role")
            return None
    start, end = name
    title, end2 = _title_after(s, end)
    if title is None:
        title = title_first
        end2 = end
    return _Item(start, end2, "name", title)


def _en_items(s: str, pos: int) -> list[_Item]:
    items: list[_Item] = []
    while pos < len(s):
        item = _en_item(s, pos)
        if item is None:
            break
        items.append(item)
        more = _EN_MORE.match(s, item.end)
        if more is None or more.end() == item.end:
            break
        pos = more.end()
    return items


def _cn_items(s: str, pos: int, memo: dict[int, _Item | None] | None = None) -> list[_Item]:
    """People listed from ``pos`` on (``王建国、李娟和周凯``); ``memo`` keeps the items
    already read at a position, since triggers overlap (``见了王总和李明见面``)."""
    memo = {} if memo is None else memo
    items: list[_Item] = []
    while pos < len(s):
        if pos in memo:
            item = memo[pos]
        else:
            item = memo[pos] = _cn_item_at(s, pos)
        if item is None:
            break
        items.append(item)
        more = _CN_MORE.match(s, item.end)
        if more is None or more.end() == item.end:
            break
        pos = more.end()
    return items


def _cn_item_at(s: str, pos: int) -> _Item | None:
    det = _CN_DETERMINERS.match(s, pos)
    at = det.end() if det and det.end() < len(s) else pos
    item = _cn_item(s, at) if is_cjk(s[at]) else _en_item(s, at)
    if item is None and at != pos:
        item = _cn_item(s, pos)
    return item


def _may_start_person(s: str, pos: int) -> bool:
    """Cheap test: can a person (name, honorific, role, title) start at ``pos``?"""
    if pos >= len(s):
        return False
    ch = s[pos]
    return not (is_cjk(ch) and ch in _NOT_GIVEN and ch not in _PERSON_STARTS)


_PERSON_STARTS = frozenset("老小对客他新财采技")


def _strong(s: str, items: list[_Item], *, weak: bool) -> list[_Item]:
    """After a weak trigger (``with``, ``拜访``) that is as often followed by a company as by
    a person, a name counts only when it is unmistakable: two or more words (three
    characters in Chinese), an honorific, or a title with it."""
    if not weak:
        return items
    kept: list[_Item] = []
    for item in items:
        if item.kind == "name" and item.title is None:
            name = s[item.start : _name_end(s, item)]
            if is_cjk(name[0]) and len(name) < 3:
                continue
            if not is_cjk(name[0]) and " " not in name.strip():
                continue
        kept.append(item)
    return kept


def _items(text: str) -> tuple[str, list[_Item]]:
    s = _fold(text)
    found: list[_Item] = []
    if re.search(r"[A-Za-z]", s):
        for m in _en_triggers(s):
            found += _strong(s, _en_items(s, m.end()), weak=m.group("weak") is not None)
    if _HAS_CJK.search(s):
        memo: dict[int, _Item | None] = {}
        for m in _CN_LIST_TRIGGER.finditer(s):
            found += _strong(s, _cn_items(s, m.end(), memo), weak=m.group("weak") is not None)
        for m in _CN_WITH_TRIGGER.finditer(s):
            if not _may_start_person(s, m.end()) or not _CN_WITH_VERB_ANYWHERE.search(
                s, m.end() + 1, m.end() + 24
            ):
                continue
            items = _cn_items(s, m.end(), memo)
            if items and _CN_WITH_VERB.match(s, items[-1].end):
                found += items
    found.sort(key=lambda it: it.start)
    return s, found


def extract_new_contacts(text: str, *, exclude: Iterable[str] = ()) -> list[NewContact]:
    """People named after met / with / talked to / 见了 / 拜访了 / 和…通了电话 / 跟…聊 ….

    Only person-name phrases count (see the module docstring): ``talked to COO``,
    ``见了客户`` and ``见了王总`` name nobody new.  A title may follow after a comma, a
    dash, a parenthesis or a space, or come first in Chinese.  Lists with ``and`` /
    ``,`` / ``和`` / ``、`` give several people.  Names come once each, in order;
    names in ``exclude`` (the account's own name, say) are left out.
    """
    s, items = _items(text)
    skip = {normalize(x).casefold() for x in exclude}
    seen: set[str] = set()
    people: list[NewContact] = []
    for item in items:
        if item.kind != "name":
            continue
        name_end = _name_end(s, item)
        name = normalize(s[item.start : name_end])
        key = name.casefold()
        if not name or key in seen or key in skip:
            continue
        seen.add(key)
        people.append(NewContact(name, item.title, item.start, name_end))
    return people


def _name_end(s: str, item: _Item) -> int:
    if is_cjk(s[item.start]):
        got = _cn_name_at(s, item.start)
    else:
        got = _en_name_at(s, item.start)
    return got[1] if got else item.end


def read_people(text: str, contacts: Sequence[Candidate], *, exclude: Iterable[str] = ()) -> People:
    """Who ``text`` is about, against the account's ``contacts``.

    ``linked``: contacts named (full name, alias, honorific, unique first name);
    ``ambiguous``: mentions that fit several contacts — neither linked nor created;
    ``new``: person names that are no contact yet; ``not_people``: phrases standing
    where a person could (after ``met`` / ``见了`` …) that were not taken — role words
    (``COO``, ``客户``), honorifics that fit no contact (``王总``) and ambiguous mentions.
    """
    matches = match_contacts(text, contacts)
    result = People(linked=list(matches.linked), ambiguous=list(matches.ambiguous))
    s, items = _items(text)
    skip = {normalize(x).casefold() for x in exclude}
    seen: set[str] = set()
    for item in items:
        phrase = normalize(s[item.start : item.end])
        if item.kind == "ref":
            continue  # linked, ambiguous or unknown: match_contacts has said which
        if item.kind != "name":
            if phrase and phrase not in result.not_people:
                result.not_people.append(phrase)
            continue
        name_end = _name_end(s, item)
        name = normalize(s[item.start : name_end])
        key = name.casefold()
        if not name or key in seen or key in skip:
            continue
        seen.add(key)
        own = match_contacts(name, contacts)
        if own.linked:
            continue
        if own.ambiguous or name in matches.ambiguous:
            if name not in result.not_people:
                result.not_people.append(name)
            continue
        result.new.append(NewContact(name, item.title, item.start, name_end))
    for mention in [*matches.ambiguous, *matches.unknown]:
        if mention not in result.not_people:
            result.not_people.append(mention)
    return result


def looks_like_name(text: str) -> bool:
    """True when all of ``text`` reads as one person's name (``Li Wei``, ``王建国``,
    ``Dr. Chen``), not a role or a word."""
    s = fold(text).strip()
    if not s:
        return False
    if is_cjk(s[0]):
        got = _cn_name_at(s, 0)
    else:
        got = _en_name_at(s, 0)
    return got is not None and got[1] == len(s)


def leading_name(text: str) -> int | None:
    """Where the person name at the very start of ``text`` ends (``Zhang Min Head of
    Purchasing`` → 9, ``周凯项目经理`` → 2), or None when it does not start with one."""
    s = _fold(text)
    if not s or s[0].isspace():
        return None
    got = _cn_name_at(s, 0) if is_cjk(s[0]) else _en_name_at(s, 0, org_check=False)
    return None if got is None else got[1]
