"""脱敏: no names, phones or house numbers in what the public reads; the matter itself stays readable."""

from __future__ import annotations

import pytest

from hotline.desensitise import desensitise


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        ("我的电话是13812345678，请回电", ["13812345678"], ["请回电"]),
        ("+86 138 1234 5678 请联系", ["138 1234", "5678"], ["请联系"]),
        ("固话0563-2345678或(0563)2345678", ["2345678"], ["固话"]),
        ("住在梅园路12号3栋501室", ["12号", "3栋", "501"], ["梅园路", "号", "栋", "室"]),
        ("十二号楼二单元六楼", ["十二号楼", "二单元"], ["号楼", "单元"]),
        ("3-2-501住户反映", ["3-2-501"], ["住户反映"]),
        ("我叫王小明，楼下噪音扰民", ["王小明"], ["楼下噪音扰民"]),
        ("联系人：李四，电话见上", ["李四"], ["联系人"]),
        ("张先生反映路灯不亮", ["张先生"], ["某先生", "路灯不亮"]),
        ("欧阳女士来电", ["欧阳女士"], ["某女士"]),
        ("王五反映路灯坏了。李小红来电称井盖丢了", ["王五", "李小红"], ["反映路灯坏了", "来电称井盖丢了"]),
        ("有关部门反映情况属实", [], ["有关部门反映情况属实"]),
        ("车牌皖P12345长期占道", ["12345"], ["皖P*****", "长期占道"]),
        ("身份证34180219900101123X", ["34180219900101123X"], ["身份证"]),
        ("邮箱 someone@example.com", ["someone@example.com"], ["邮箱"]),
    ],
)
def test_personal_data_is_masked(text, gone, kept):
    out = desensitise(text)
    for g in gone:
        assert g not in out, (text, out)
    for k in kept:
        assert k in out, (text, out)


def test_known_names_are_masked_anywhere():
    assert desensitise("赵六说，赵六家门口的井盖丢了", names=["赵六", None, ""]) == "**说，**家门口的井盖丢了"


def test_what_the_public_needs_stays():
    text = "经核实，城管局已于2026-11-20完成维修，共更换路灯3盏，投入资金2万元。"
    assert desensitise(text) == text
    assert desensitise(None) is None
    assert desensitise("宣州区澄江街道梅园路") == "宣州区澄江街道梅园路"
