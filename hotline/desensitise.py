"""脱敏: text that the public may read (published replies, Open311) with no names, phones or house numbers.

Rules, applied in this order:
- names the system knows (the caller's, given by the caller) are replaced wherever they appear;
- full-width digits and letters are read (and kept) as ASCII;
- e-mail addresses, ID card numbers, phone numbers (mobile, landline with its area code, with or without +86,
  written with spaces, dashes or dots), QQ and WeChat ids and any run of 7 or more digits become asterisks;
  vehicle plates in every common form (皖P12345, 皖P·12345, 皖P-12345, 皖p12345) keep only their province and
  letter (皖P*****);
- house numbers: the numbers before 号, 号楼, 栋, 幢, 单元, 室, 户, 层, 楼, 弄, # and building-unit-room forms
  such as 3-2-501 become "*", so "梅园路12号3栋501室" reads "梅园路*号*栋*室"; so does the room after a unit
  (3单元501, 12#1203, A座1201);
- a name after words that introduce one (我叫, 本人, 联系人, 姓名 ...) and a surname with 先生/女士/师傅 ...
  (张先生, 李建国同志: a name of 2-3 characters) become "某" forms ("我叫**", "张先生" -> "某先生"), and so
  does a full name that opens a sentence before 反映/来电/投诉/举报/称/表示 ("王五反映" -> "**反映").
What is left is what a reader needs: the matter, the place to street level, the reply.

Linear time: every pattern starts only where its run starts and never backtracks into a run (look-behinds,
atomic groups, possessive quantifiers), so 4,000 characters of numerals cost well under 10 ms.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

MASK = "*"

# The ~100 commonest Chinese surnames (they cover about 85% of people), single and double.
_SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|"
    "王|李|张|刘|陈|杨|黄|赵|吴|周|徐|孙|马|朱|胡|郭|何|高|林|罗|郑|梁|谢|宋|唐|许|韩|冯|邓|曹|彭|曾|肖|萧|田|董|袁|"
    "潘|于|蒋|蔡|余|杜|叶|程|苏|魏|吕|丁|任|沈|姚|卢|姜|崔|钟|谭|陆|汪|范|金|石|廖|贾|夏|韦|付|傅|方|白|邹|孟|熊|秦|邱|"
    "江|尹|薛|闫|阎|段|雷|侯|龙|史|陶|黎|贺|顾|毛|郝|龚|邵|万|钱|严|覃|武|戴|莫|孔|向|汤|常|温|康|施|文|牛|樊|葛|邢|安|"
    "齐|易|乔|伍|庞|颜|倪|庄|聂|章|鲁|岳|翟|殷|詹|申|欧|耿|关|兰|焦|俞|左|柳|甘|祝|包|宁|尚|符|舒|阮|柯|纪|梅|童|凌|毕|"
    "单|季|裴|霍|涂|成|苗|谷|盛|曲|翁|冉|骆|蓝|路|游|辛|靳|管|柴|蒙|鲍|华|喻|祁|蒲|房|滕|屈|饶|解|牟|艾|尤|阳|时|穆|农|"
    "司|卓|古|吉|缪|简|车|项|连|芦|麦|褚|娄|窦|戚|岑|景|党|宫|费|卜|冷|晏|席|卫|米|柏|宗|瞿|桂|全|佟|应|臧|闵|苟|邬|边|"
    "卞|姬|师|和|仇|栾|隋|商|刁|沙|荣|巫|寇|桑|郎|甄|丛|仲|虞|敖|巩|明|佘|池|查|麻|苑|迟|邝"
)
_DOUBLE, _SINGLE = [], []
for _s in _SURNAMES.split("|"):
    (_DOUBLE if len(_s) > 1 else _SINGLE).append(_s)
# A character class for the single surnames: a 300-way alternation is tried at every position, a class is not.
_SURNAME = "(?:" + "|".join(_DOUBLE) + "|[" + "".join(_SINGLE) + "])"
_HONORIFICS = "先生|女士|小姐|师傅|老师|阿姨|大爷|大妈|大姐|大哥|老人|同志|经理|主任|老板"
_HAN = r"[\u4e00-\u9fff]"

# Full-width digits, letters and the few signs numbers are written with (１３８－１２３４, 皖Ｐ１２３４５) read as
# ASCII; the published text keeps the ASCII form. Chinese punctuation （，：） stays as it is.
_FULL_WIDTH = str.maketrans(
    {
        **{0xFF10 + i: 0x30 + i for i in range(10)},
        **{0xFF21 + i: 0x41 + i for i in range(26)},
        **{0xFF41 + i: 0x61 + i for i in range(26)},
        0xFF0D: "-",
        0xFF0E: ".",
        0xFF0B: "+",
        0xFF03: "#",
        0xFF20: "@",
        0x3000: " ",
    }
)
# Every pattern below can start only where its run starts (a look-behind) and never backtracks into a run
# (possessive quantifiers): a long run of digits, numerals or letters costs linear time, not quadratic.
_SEP = r"[\s\-.·]"
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID_CARD = re.compile(
    r"(?<![0-9])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9])"
)
# Mobiles however written: 13812345678, +86 138 1234 5678, 138-1234-5678, 138.1234.5678, (+86)139..., 0086 ...
_MOBILE = re.compile(rf"(?<![0-9])(?:(?:\+|00)?86{_SEP}?|[(（]\+?86[)）]\s?)?1[3-9]\d(?:{_SEP}?\d){{8}}(?![0-9])")
# Landlines with an area code: 0563-2812345, (0563)2812345, （0563）281 2345, 0551.65123456.
_LANDLINE = re.compile(rf"(?<![0-9])[(（]?0\d{{2,3}}[)）]?{_SEP}?\d(?:{_SEP}?\d){{6,7}}(?![0-9])")
# Dates (2026-11-26) are not personal data and stay.
_LONG_DIGITS = re.compile(r"(?<![0-9])(?!\d{4}-\d{1,2}-\d{1,2}(?![0-9]))\d(?:[\s-]?\d){6,}+")
# Plates: 皖P12345, 皖P·12345, 皖P-12345, 皖p12345, 苏A 8B3K9, new-energy 皖AD12345 (full-width read as ASCII).
_PLATE = re.compile(
    r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])\s?([A-Za-z])\s?[·\-]?\s?[A-Za-z0-9]{5,6}(?![A-Za-z0-9])"
)
_QQ = re.compile(r"((?<![A-Za-z])[Qq]{2}\s*(?:号码|号)?\s*[:：是为]?\s*)(\d{5,12})(?![0-9])")
_WECHAT = re.compile(
    r"((?:微信|薇信|威信|V信|(?<![A-Za-z])(?:VX|vx|Vx|WX|wx|weixin|WeChat|wechat))\s*(?:号码|账号|号|id|ID)?\s*[:：是为]?\s*)"
    r"([A-Za-z][-_A-Za-z0-9]{4,19}+)"
)
_CN_NUM = "零〇一二三四五六七八九十百两"
_NUM = rf"(?:\d++|[{_CN_NUM}]++)"
_HOUSE = re.compile(
    rf"(?<![0-9{_CN_NUM}\-－—])(?>{_NUM}(?:\s*+[-－—]\s*+{_NUM})*+)\s*+(号楼|号院|号|栋|幢|单元|室|户|层|楼|弄|巷|#)"
)
# The room after a unit: 3单元501, 12#1203, A座1201, 8#楼603, 二单元三〇一.
_AFTER_UNIT = re.compile(rf"(单元|座|#|栋|幢|号楼|楼)(\s*+)(?:\d{{2,4}}|[{_CN_NUM}]{{2,4}})(?![0-9{_CN_NUM}])")
_UNIT_TRIPLE = re.compile(r"(?<![0-9])\d{1,3}-\d{1,2}-\d{2,4}(?![0-9])")
_ROOM = re.compile(r"(?<![0-9A-Za-z])\d{3,4}(?=\s*(?:房|房间|室))")
_INTRODUCED_NAME = re.compile(
    rf"(我叫|我是|本人|名叫|叫做|姓名[:：\s]*|联系人[:：\s]*|来电人[:：\s]*|市民|业主|居民|租户)({_HAN}{{2,3}})"
    rf"(?=[，,。.；;：:、\s（(]|$|{_HAN}{{0,6}}(?:反映|来电|投诉|举报|称|说|表示|的))"
)
# A full name opening a sentence before a reporting verb: "王五反映…", "李小红来电称…".
_NAME_REPORTS = re.compile(rf"(?<!{_HAN}){_SURNAME}{_HAN}{{1,2}}(?=反映|来电|投诉|举报|称|表示)")
# A surname, up to two more characters, then 先生/女士/同志 ...: "张先生", "李建国同志", "欧阳明先生".
_SURNAME_HONORIFIC = re.compile(rf"{_SURNAME}({_HAN}{{0,2}}?)({_HONORIFICS})")


def desensitise(text: str | None, names: Iterable[str | None] = ()) -> str | None:
    """The text with personal data masked; None stays None. `names`: names known to belong to people."""
    if text is None:
        return None
    known = tuple(sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=lambda n: (-len(n), n)))
    return _desensitise(str(text), known)


# Published texts are read far more often than they change: the listing pages and Open311 reuse the result.
@functools.lru_cache(maxsize=20_000)
def _desensitise(out: str, names: tuple[str, ...]) -> str:
    out = out.translate(_FULL_WIDTH)
    for name in names:
        out = out.replace(name, MASK * len(name))
    out = _EMAIL.sub(lambda m: MASK * 3 + "@" + MASK * 3, out)
    out = _ID_CARD.sub(MASK * 18, out)
    out = _PLATE.sub(lambda m: m.group(1) + m.group(2) + MASK * 5, out)
    out = _MOBILE.sub(MASK * 11, out)
    out = _LANDLINE.sub(MASK * 11, out)
    out = _QQ.sub(lambda m: m.group(1) + MASK * 5, out)
    out = _WECHAT.sub(lambda m: m.group(1) + MASK * 5, out)
    out = _LONG_DIGITS.sub(lambda m: MASK * len(m.group(0)), out)
    out = _UNIT_TRIPLE.sub(MASK, out)
    out = _ROOM.sub(MASK, out)
    out = _HOUSE.sub(lambda m: MASK + m.group(1), out)
    out = _AFTER_UNIT.sub(lambda m: m.group(1) + m.group(2) + MASK, out)
    out = _INTRODUCED_NAME.sub(lambda m: m.group(1) + MASK * len(m.group(2)), out)
    out = _SURNAME_HONORIFIC.sub(lambda m: "某" + m.group(2), out)
    out = _NAME_REPORTS.sub(lambda m: MASK * len(m.group(0)), out)
    return out
