"""脱敏: text that the public may read (published replies, Open311) with no names, phones or house numbers.

Rules, applied in this order:
- names the system knows (the caller's, given by the caller) are replaced wherever they appear;
- e-mail addresses, ID card numbers, phone numbers (mobile, landline, with or without +86) and any run of
  7 or more digits become asterisks; vehicle plates keep only their province and letter (皖P*****);
- house numbers: the numbers before 号, 号楼, 栋, 幢, 单元, 室, 户, 层, 楼, 弄 and building-unit-room forms
  such as 3-2-501 become "*", so "梅园路12号3栋501室" reads "梅园路*号*栋*室";
- a name after words that introduce one (我叫, 本人, 联系人, 姓名 ...) and a surname with 先生/女士/师傅 ...
  (张先生) become "某" forms ("我叫**", "张先生" -> "某先生"), and so does a full name that opens a sentence
  before 反映/来电/投诉/举报/称/表示 ("王五反映" -> "**反映").
What is left is what a reader needs: the matter, the place to street level, the reply.
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

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID_CARD = re.compile(
    r"(?<![0-9])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9])"
)
# Phones in the ways people write them: +86 138 1234 5678, 138-1234-5678, 0563-2345678, (0563)2345678.
_PHONE = re.compile(
    r"(?<![0-9])(?:\+?86[\s-]?)?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|\(?0\d{2,3}\)?[\s-]?\d{7,8})(?![0-9])"
)
# Dates (2026-11-26) are not personal data and stay.
_LONG_DIGITS = re.compile(r"(?<![0-9])(?!\d{4}-\d{1,2}-\d{1,2}(?![0-9]))\d(?:[\s-]?\d){6,}")
_PLATE = re.compile(r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])([A-Z])[·\s]?[A-Z0-9]{5,6}")
_CN_NUM = "零〇一二三四五六七八九十百两"
_HOUSE = re.compile(
    rf"(?:\d+|[{_CN_NUM}]+)(?:\s*[-－—]\s*(?:\d+|[{_CN_NUM}]+))*\s*(号楼|号院|号|栋|幢|单元|室|户|层|楼|弄|巷)"
)
_UNIT_TRIPLE = re.compile(r"(?<![0-9])\d{1,3}-\d{1,2}-\d{2,4}(?![0-9])")
_ROOM = re.compile(r"(?<![0-9A-Za-z])\d{3,4}(?=\s*(?:房|房间|室))")
_INTRODUCED_NAME = re.compile(
    rf"(我叫|我是|本人|名叫|叫做|姓名[:：\s]*|联系人[:：\s]*|来电人[:：\s]*|市民|业主|居民|租户)({_HAN}{{2,3}})"
    rf"(?=[，,。.；;：:、\s（(]|$|{_HAN}*(?:反映|来电|投诉|举报|称|说|表示|的))"
)
# A full name opening a sentence before a reporting verb: "王五反映…", "李小红来电称…".
_NAME_REPORTS = re.compile(rf"(?<!{_HAN}){_SURNAME}{_HAN}{{1,2}}(?=反映|来电|投诉|举报|称|表示)")
_SURNAME_HONORIFIC = re.compile(rf"{_SURNAME}({_HAN}?)({_HONORIFICS})")


def desensitise(text: str | None, names: Iterable[str | None] = ()) -> str | None:
    """The text with personal data masked; None stays None. `names`: names known to belong to people."""
    if text is None:
        return None
    known = tuple(sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=lambda n: (-len(n), n)))
    return _desensitise(str(text), known)


# Published texts are read far more often than they change: the listing pages and Open311 reuse the result.
@functools.lru_cache(maxsize=20_000)
def _desensitise(out: str, names: tuple[str, ...]) -> str:
    for name in names:
        out = out.replace(name, MASK * len(name))
    out = _EMAIL.sub(lambda m: MASK * 3 + "@" + MASK * 3, out)
    out = _ID_CARD.sub(MASK * 18, out)
    out = _PLATE.sub(lambda m: m.group(1) + m.group(2) + MASK * 5, out)
    out = _PHONE.sub(MASK * 11, out)
    out = _LONG_DIGITS.sub(lambda m: MASK * len(m.group(0)), out)
    out = _UNIT_TRIPLE.sub(MASK, out)
    out = _ROOM.sub(MASK, out)
    out = _HOUSE.sub(lambda m: MASK + m.group(1), out)
    out = _INTRODUCED_NAME.sub(lambda m: m.group(1) + MASK * len(m.group(2)), out)
    out = _SURNAME_HONORIFIC.sub(lambda m: "某" + m.group(2), out)
    out = _NAME_REPORTS.sub(lambda m: MASK * len(m.group(0)), out)
    return out
