"""A labelled set of synthetic citizen messages for measuring the dispatch suggester.

HOW IT IS MADE (say so wherever its figures are quoted): these are NOT real hotline records. Each
message is assembled from hand-written parts: an opening, a place, one problem statement for the
scenario (several hand-written wordings per scenario, some without the scenario's obvious keyword),
how long it has gone on, an impact and a request, with random omissions, fillers that mention other
topics, and typos-by-omission. The wordings of each scenario are split: the test file uses wordings
the training file never contains, so a model cannot score by memorising whole sentences; it still
shares vocabulary with training, so real messages will score lower than this set.

Labels: `--label department` (default) is the department that handles the scenario city-wide: the
catalogue's department, or the utility where practice differs (water, power, gas); `--label
category` is the level-3 category code.

    .venv/bin/python bench/routing_data.py --train 10000 --test 2000 --out /tmp/routing [--label category]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

# scenario: (category code, department, [problem statements])
SCENARIOS: list[tuple[str, str, list[str]]] = [
    (
        "010204",
        "XC-CGJ",
        [
            "路灯坏了好多天一直不亮",
            "路灯晚上不亮，整条路黑漆漆的",
            "井盖丢了，留下一个大洞",
            "窨井盖破损塌陷了",
            "人行道的地砖翘起来好多块",
            "晚上这一段路没有照明，走路提心吊胆",
            "下水道的盖子被车压碎了",
            "路边的护栏倒了没人扶",
            "路面上有个大坑，好几辆电动车在这里摔倒",
            "雨水箅子缺了一块，小孩差点把脚卡进去",
        ],
    ),
    (
        "010202",
        "XC-CGJ",
        [
            "流动摊贩占道经营，把路都堵了",
            "门面店把东西摆到人行道上经营",
            "夜市烧烤摊占着马路摆到凌晨",
            "小贩在学校门口乱摆摊",
            "店家在门口搭棚子占道",
            "卖菜的把三轮车停在路中间叫卖",
            "商户违规设置户外广告牌",
        ],
    ),
    (
        "010214",
        "XC-CGJ",
        [
            "垃圾堆在路边好几天没人清运",
            "垃圾桶满了溢出来，苍蝇到处飞",
            "卫生死角没人打扫，臭气熏天",
            "垃圾中转站污水横流，味道很大",
            "公共厕所脏得没法进",
            "路边有人乱倒生活垃圾，一直没人清理",
        ],
    ),
    (
        "010209",
        "XC-CGJ",
        [
            "行道树的树枝伸到居民窗户里",
            "大树枯死了随时会倒",
            "绿化带被人毁了种菜",
            "树枝挡住了路口的红绿灯",
            "台风后倒了一棵树压在路上",
            "草坪好久没人修剪，杂草比人还高",
        ],
    ),
    (
        "010211",
        "XC-CGJ",
        [
            "下水道堵了，污水冒到路面上",
            "一下雨路口就积水，排水管不通",
            "污水管破了，路面一直渗水",
            "化粪池满了往外溢",
            "道路修了一半就停工了，围挡一直没撤",
        ],
    ),
    (
        "010216",
        "XC-WATER",
        [
            "家里停水了也没有提前通知",
            "自来水发黄有异味，不敢喝",
            "水压太小，楼上根本没有水",
            "小区水管爆了，水流了一地",
            "水费突然比平时多了好几倍，怀疑水表有问题",
            "供水一直不正常，时有时无",
        ],
    ),
    (
        "010215",
        "XC-POWER",
        [
            "整栋楼突然停电了",
            "家里电压不稳，电器都烧坏了",
            "电表走得特别快，电费翻倍",
            "小区变压器嗡嗡响还冒火花",
            "电线杆上的电线垂下来很低",
            "一天跳闸好几次，供电很不稳定",
        ],
    ),
    (
        "010213",
        "XC-GAS",
        [
            "燃气开户申请了一个月还没人来装",
            "燃气表走字不准，燃气费太高",
            "燃气公司上门检查乱收费",
            "天然气管道改造拖了很久没完工",
            "小区天然气压力不足，做饭火很小",
        ],
    ),
    (
        "010212",
        "XC-ZJJ",
        [
            "小区电梯经常坏，老人上下楼很困难",
            "小区消防通道被私家车堵死了",
            "楼道里有人飞线给电动车充电",
            "小区门禁坏了很久没人修",
            "小区充电桩不够用",
            "小区停车位被外来车辆占满",
        ],
    ),
    (
        "011003",
        "XC-ZJJ",
        [
            "物业公司不作为，小区脏乱差",
            "物业费收了服务却越来越差",
            "物业擅自涨物业费",
            "物业把公共区域租出去收钱",
            "维修基金怎么用的物业不公开",
            "物业保安不管外人随便进出",
            "业主报修物业一直拖着不来",
        ],
    ),
    (
        "011006",
        "XC-ZJJ",
        [
            "开发商延期交房一年多了",
            "新房墙体开裂，开发商推卸责任",
            "楼盘烂尾了，我们还在还贷款",
            "交房时发现面积缩水",
            "开发商承诺的配套设施都没兑现",
            "开发商不给办理网签",
        ],
    ),
    (
        "011001",
        "XC-ZJJ",
        [
            "想咨询公积金怎么提取",
            "公积金贷款额度怎么计算",
            "单位没有给我缴纳住房公积金",
            "公积金提取申请被退回了",
            "离职后公积金怎么转移",
        ],
    ),
    (
        "011002",
        "XC-ZJJ",
        [
            "公租房申请了一年还没轮到",
            "想了解廉租房的申请条件",
            "保障房分配不公平",
            "人才公寓的申请流程是什么",
        ],
    ),
    (
        "010302",
        "XC-ZRZYJ",
        [
            "邻居在楼顶私自加盖房子",
            "有人私搭乱建占了公共绿地",
            "一楼住户在院子里违规搭建阳光房",
            "村里有人违章建房",
            "楼下商铺私自扩建",
        ],
    ),
    (
        "040203",
        "XC-STHJJ",
        [
            "工地晚上施工噪音太大，根本睡不着",
            "KTV每天吵到凌晨两三点",
            "楼下广场舞音响太吵了",
            "工厂机器轰鸣声日夜不停",
            "夜里打桩声震耳欲聋",
            "酒吧的音乐声吵得整栋楼都听得到",
            "商铺门口的大喇叭一直循环播放",
        ],
    ),
    (
        "040206",
        "XC-STHJJ",
        [
            "饭店油烟直接排到居民窗户",
            "工厂烟囱冒黑烟，空气很呛",
            "有人焚烧垃圾浓烟滚滚",
            "搅拌站粉尘大，阳台上全是灰",
            "汽修店喷漆的味道很刺鼻",
            "附近化工厂的废气味道很难闻",
            "工地扬尘很大也不洒水",
        ],
    ),
    (
        "040210",
        "XC-STHJJ",
        [
            "工厂往河里偷排污水",
            "河水发黑发臭还有死鱼",
            "排污口流出的水是黄色的",
            "养殖场的粪水直接排进沟里",
            "小河被污染了，周边的庄稼都受影响",
        ],
    ),
    (
        "040205",
        "XC-STHJJ",
        [
            "有人在河边倾倒建筑垃圾",
            "工业固废堆在村口没人管",
            "渣土随意倾倒在农田里",
        ],
    ),
    (
        "060105",
        "XC-JTJ",
        [
            "出租车司机拒载",
            "的哥不打表乱要价",
            "出租车故意绕远路",
            "出租车司机态度恶劣还骂人",
        ],
    ),
    (
        "060104",
        "XC-JTJ",
        [
            "网约车司机中途加价",
            "网约车平台乱扣费",
            "网约车车辆和登记的不一样",
            "滴滴司机把我扔在半路",
        ],
    ),
    (
        "060404",
        "XC-JTJ",
        [
            "长途汽车站票价随意上涨",
            "客运大巴中途甩客",
            "城乡公交班次太少，等一个小时都没车",
            "班车不按时发车",
        ],
    ),
    (
        "060604",
        "XC-JTJ",
        [
            "快递丢件了快递公司不管",
            "快递员不送货上门，直接放快递柜还要收费",
            "快递包裹被损坏了不给赔偿",
            "快递网点私自收取派送费",
        ],
    ),
    (
        "060205",
        "XC-JTJ",
        [
            "乡村公路被大货车压坏了",
            "国道边的路基塌了一段",
            "省道上的标志牌被撞倒了",
            "县道坑洼不平一直没人修",
        ],
    ),
    (
        "130504",
        "XC-GAJ",
        [
            "路口红绿灯坏了，车辆乱成一团",
            "路边乱停车严重，堵得过不去",
            "渣土车经常闯红灯",
            "学校门口接送车辆拥堵",
            "电动车逆行很危险",
            "这个路口没有斑马线，过马路很危险",
        ],
    ),
    (
        "130807",
        "XC-GAJ",
        [
            "小区里电动车经常被偷",
            "楼里有人聚众赌博",
            "接到诈骗电话被骗了钱",
            "有人在街上寻衅滋事",
            "晚上有人飙车炸街",
            "家门口的监控被人故意破坏",
        ],
    ),
    (
        "130401",
        "XC-GAJ",
        [
            "孩子落户需要什么材料",
            "户口迁移手续太麻烦",
            "想把父母户口迁过来",
            "新生儿上户口被退回",
        ],
    ),
    (
        "130405",
        "XC-GAJ",
        [
            "身份证丢了怎么补办",
            "居住证办理需要什么手续",
            "身份证到期换领要多久",
        ],
    ),
    (
        "130503",
        "XC-GAJ",
        [
            "驾驶证到期换证的流程",
            "机动车年检预约不上",
            "车管所办事排队太长",
            "违章扣分有异议想申诉",
        ],
    ),
    (
        "150306",
        "XC-RSJ",
        [
            "公司拖欠三个月工资不发",
            "包工头拖欠农民工工资跑路了",
            "老板一直拖着不给结工钱",
            "单位克扣工资",
            "年底了工资还没结清",
            "加班费一直不给",
        ],
    ),
    (
        "150601",
        "XC-RSJ",
        [
            "公司不跟员工签劳动合同",
            "单位无故辞退我不给补偿",
            "公司逼员工主动辞职",
            "劳动合同到期公司不续签也不补偿",
        ],
    ),
    (
        "150201",
        "XC-RSJ",
        [
            "单位没有给我交社保",
            "养老保险断缴了能补吗",
            "社保缴费基数按最低标准交",
            "换工作后养老保险怎么转",
        ],
    ),
    (
        "150905",
        "XC-RSJ",
        [
            "退休金比同事少很多，怀疑算错了",
            "退休手续办了三个月还没拿到退休金",
            "退休待遇迟迟没有调整",
        ],
    ),
    (
        "150402",
        "XC-RSJ",
        [
            "失业金怎么申请",
            "想参加政府组织的职业技能培训",
            "就业补贴一直没发下来",
        ],
    ),
    (
        "150104",
        "XC-YBJ",
        [
            "城乡居民医保怎么缴费",
            "医保报销比例太低",
            "异地就医医保不能直接结算",
            "医保卡被冒用了",
        ],
    ),
    (
        "120401",
        "XC-SCJGJ",
        [
            "超市卖过期食品",
            "饭店菜里吃出了虫子",
            "外卖后厨脏乱差",
            "小作坊生产食品卫生很差",
            "餐馆没有卫生许可证",
            "吃了路边摊后全家拉肚子",
        ],
    ),
    (
        "110403",
        "XC-SCJGJ",
        [
            "网上买到假货商家拒绝退款",
            "买的电动车质量有问题厂家不管",
            "商家以次充好",
            "买的家电用了一周就坏了不给换",
        ],
    ),
    (
        "110408",
        "XC-SCJGJ",
        [
            "商场明码标价和结账价格不一样",
            "菜市场商户缺斤短两",
            "加油站加油不足量",
            "停车场乱收费",
            "药店药价比别处贵一倍",
        ],
    ),
    (
        "110404",
        "XC-SCJGJ",
        [
            "健身房突然关门跑路，预付卡退不了",
            "美容院办卡后倒闭了",
            "培训机构卷款跑路",
            "理发店强制推销办卡",
        ],
    ),
    (
        "110502",
        "XC-SCJGJ",
        [
            "商场的扶梯经常突然停",
            "电梯年检标志过期了",
            "游乐场设施看起来很不安全",
        ],
    ),
    (
        "120601",
        "XC-WJW",
        [
            "医院挂号太难，排队一上午",
            "医生看病态度很差",
            "医院乱开检查",
            "急诊等了三个小时没人管",
            "护士打针技术太差",
        ],
    ),
    (
        "120103",
        "XC-WJW",
        [
            "孩子打疫苗预约不上",
            "小区附近有人得传染病想了解防控措施",
            "社区卫生服务中心不给接种",
        ],
    ),
    (
        "140303",
        "XC-JTYJ",
        [
            "学校要求家长买指定的辅导资料",
            "学校乱收各种费用",
            "幼儿园收费太高",
            "学校收补课费",
        ],
    ),
    (
        "140501",
        "XC-JTYJ",
        [
            "孩子入学划片不合理",
            "小升初政策想咨询一下",
            "转学手续办不下来",
            "随迁子女入学太难",
        ],
    ),
    (
        "140204",
        "XC-JTYJ",
        [
            "老师在校外有偿补课",
            "老师体罚学生",
            "学生作业太多写到半夜",
            "学校放学太早家长没法接",
            "学校食堂饭菜质量差",
        ],
    ),
    (
        "090903",
        "XC-MZJ",
        [
            "低保申请了半年还没批",
            "家里困难想申请低保",
            "低保金被停发了不知道原因",
        ],
    ),
    (
        "090802",
        "XC-MZJ",
        [
            "婚姻登记预约不上",
            "殡葬服务收费太高",
            "公墓价格太贵",
        ],
    ),
    (
        "090102",
        "XC-MZJ",
        [
            "养老院条件太差",
            "高龄老人补贴没发",
            "残疾人补贴一直没到账",
            "居家养老服务不到位",
        ],
    ),
    (
        "080102",
        "XC-TEL",
        [
            "家里手机信号很差，打电话都断",
            "宽带经常断网，网速特别慢",
            "小区附近装基站居民担心辐射",
            "光纤入户一直不给装",
        ],
    ),
    (
        "080104",
        "XC-TEL",
        [
            "运营商乱扣话费",
            "手机套餐被私自更改",
            "流量没用完就被扣费",
            "营业厅办理业务诱导消费",
        ],
    ),
    (
        "101303",
        "XC-NYNCJ",
        [
            "村里重新分配承包地不公平",
            "土地流转费用一直没给",
            "承包地被村里收回",
        ],
    ),
    (
        "100504",
        "XC-NYNCJ",
        [
            "种粮补贴没有发到位",
            "农机补贴申请不下来",
            "惠农补贴被村干部截留",
        ],
    ),
    (
        "101206",
        "XC-SLJ",
        [
            "河堤有裂缝，汛期很危险",
            "水库泄洪没有提前通知",
            "农田灌溉的水渠坏了没人修",
        ],
    ),
    (
        "100603",
        "XC-LYJ",
        [
            "山上有人乱砍树",
            "有人在林区烧荒",
            "林地被人非法占用",
        ],
    ),
    (
        "070502",
        "XC-CZJ",
        [
            "有公司搞非法集资",
            "投资理财平台爆雷了钱拿不回来",
            "有人以高息为名骗老人存钱",
        ],
    ),
    (
        "050201",
        "XC-JJW",
        [
            "办事窗口工作人员推诿扯皮",
            "政府工作人员上班时间玩手机",
            "村干部办事吃拿卡要",
        ],
    ),
    (
        "110102",
        "XC-WLJ",
        [
            "景区门票乱涨价",
            "旅行社强制购物",
            "导游辱骂游客",
        ],
    ),
]

OPENERS = [
    "",
    "",
    "您好，",
    "你好，",
    "我要反映一个问题，",
    "我是附近的居民，",
    "投诉一下，",
    "麻烦问一下，",
    "我想咨询一下，",
    "我是这里的业主，",
    "我们这边",
    "再次反映，",
]
PLACES = [
    "",
    "",
    "",
    "幸福小区",
    "梅园路",
    "阳光花园3栋",
    "城南新村",
    "建设路和人民路交叉口",
    "我们村",
    "宣州区澄江街道",
    "锦城花园",
    "老菜市场附近",
    "火车站附近",
    "第二中学门口",
    "滨河公园旁边",
    "开发区",
    "叠嶂路",
    "宛陵湖小区",
    "XX镇",
    "南门街",
]
DURATIONS = [
    "",
    "",
    "已经一个多月了，",
    "从上周开始，",
    "好几天了，",
    "反映过好几次了，",
    "最近一直这样，",
    "今天早上，",
    "长期存在，",
    "这几天，",
]
IMPACTS = [
    "",
    "",
    "严重影响生活",
    "大家意见很大",
    "老人小孩很不方便",
    "存在安全隐患",
    "影响休息",
    "非常气愤",
    "周围居民都受影响",
    "实在受不了了",
]
REQUESTS = [
    "",
    "希望有关部门尽快处理。",
    "请尽快解决。",
    "请给个答复。",
    "希望能管一管。",
    "麻烦帮忙协调。",
    "希望相关部门来看看。",
    "请相关部门核实处理。",
    "谢谢！",
    "盼回复。",
]
# Other topics mentioned in passing: a message is rarely about one thing only.
ASIDES = [
    "物业也不管",
    "打了好几个电话都没人接",
    "社区说不归他们管",
    "之前也反映过",
    "我家有老人",
    "孩子马上要考试",
    "停车也很困难",
    "晚上路灯也不亮",
    "周边还在施工",
    "天气又热",
]


def message(rng: random.Random, problem: str) -> str:
    parts = [rng.choice(OPENERS)]
    place = rng.choice(PLACES)
    if place:
        parts.append(place + rng.choice(["", "这里", "的", "附近"]))
    parts.append(rng.choice(DURATIONS))
    parts.append(problem)
    if rng.random() < 0.3:
        parts.append("，" + rng.choice(ASIDES))
    impact = rng.choice(IMPACTS)
    if impact:
        parts.append("，" + impact)
    parts.append("。" if not parts[-1].endswith("。") else "")
    parts.append(rng.choice(REQUESTS))
    text = "".join(parts)
    if rng.random() < 0.1 and len(text) > 12:  # a dropped character, as in a hurried transcript
        i = rng.randrange(len(text))
        text = text[:i] + text[i + 1 :]
    return text


def split_wordings(rng: random.Random, test_share: float = 0.3, all_wordings: bool = False):
    """Per scenario, the wordings for training and the held-out wordings for the test set."""
    out = []
    for code, dept, wordings in SCENARIOS:
        w = wordings[:]
        rng.shuffle(w)
        k = max(1, round(len(w) * test_share))
        out.append((code, dept, w if all_wordings else w[k:], w[:k]))
    return out


def generate(n_train: int, n_test: int, label: str = "department", seed: int = 1, all_wordings: bool = False):
    """Training rows from the training wordings (all wordings with `all_wordings`, for testing on
    other data), test rows from the held-out wordings only."""
    rng = random.Random(seed)
    scenarios = split_wordings(rng, all_wordings=all_wordings)

    def rows(n: int, train: bool):
        for _ in range(n):
            code, dept, tr, te = rng.choice(scenarios)
            text = message(rng, rng.choice(tr if train else te))
            yield {"text": text, "label": dept if label == "department" else code, "category": code, "department": dept}

    return list(rows(n_train, True)), list(rows(n_test, False))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--train", type=int, default=10000)
    p.add_argument("--test", type=int, default=2000)
    p.add_argument("--label", choices=("department", "category"), default="department")
    p.add_argument("--out", type=Path, default=Path("/tmp/routing"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--all-wordings", action="store_true", help="train on every wording (to test on other data)")
    a = p.parse_args()
    train, test = generate(a.train, a.test, a.label, a.seed, a.all_wordings)
    a.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train.jsonl", train), ("test.jsonl", test)):
        with (a.out / name).open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps({"text": r["text"], "label": r["label"]}, ensure_ascii=False) + "\n")
    print(f"wrote {len(train)} + {len(test)} messages to {a.out}")


if __name__ == "__main__":
    main()
