"""Words about people: surnames and honorifics, and the words that are never a name.

    chinese_surname(name) -> str | None
    latin_surnames(name) -> frozenset[str]
    is_role_word(word) -> bool     role, title and acronym words (COO, 采购, the client)

The word tables here (surnames, honorifics, role / title / department words, common
Chinese words that start with a surname character) are read by
:mod:`handlers.parsing.person_names`, :mod:`handlers.parsing.contact_mentions` and
:mod:`handlers.parsing.people`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .text import fold, is_cjk, normalize


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


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


def _is_surname(sur: str) -> bool:
    return sur in COMPOUND_SURNAMES or sur in _COMMON_SURNAMES


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


# First names that are everyday words too: at the start of a sentence they are the word.
_WORD_FIRST_NAMES = _words(
    "will may mark bill grace hope joy june april sue pat rob art faith chase frank rose "
    "jack max ray dean don drew guy lane miles sandy summer sky bob gene hunter page "
    "chair lead partner"
)


# ---------------------------------------------------------------------------
# Reading text

_HAS_CJK = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")


_PLAIN = re.compile("[^\x20-\x7e\u4e00-\u9fff]")


@lru_cache(maxsize=4096)
def _fold_one(ch: str) -> str:
    return fold(ch)


def _fold(text: str) -> str:
    """``fold(text)``, reading only the characters that may change (punctuation typed
    full-width, odd spaces, newlines); ASCII and CJK ideographs stay as they are."""
    return _PLAIN.sub(lambda m: _fold_one(m.group(0)), text)
