"""工单查询 benchmark: `GET /api/v1/tickets?q=...` (and with other filters) against 1,000,000 tickets.

Builds a private database (a unique name, dropped afterwards unless --keep) with N tickets made by
INSERT ... SELECT generate_series: content of three phrases out of 60 Chinese complaint phrases (each phrase in
about 5% of the tickets), a rare phrase in 1 ticket of 10,000, addresses over 5,000 house numbers, 100,000 callers.
Then times the whole API request (parse, access, search, capped count, page of 20, serialization) through the
Flask test client as a supervisor, for searches of different selectivity, and prints p50/p99 for each against the
same-run baseline: the same word searched with the bigram index switched off (the ILIKE scan of every ticket).

    .venv/bin/python bench/search.py [--tickets 1000000] [--runs 50] [--keep]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

PHRASES = [
    "小区门口路灯不亮",
    "楼上夜间装修噪音扰民",
    "道路井盖破损存在安全隐患",
    "餐馆油烟直排影响居民",
    "自来水水压不足",
    "小区垃圾清运不及时",
    "违章搭建占用公共通道",
    "公交站台遮雨棚损坏",
    "物业乱收停车费",
    "共享单车乱停放堵塞人行道",
    "工地夜间施工扰民",
    "广场舞音响声音过大",
    "小区电梯经常停运",
    "供暖温度不达标",
    "路面积水严重无法通行",
    "商户占道经营",
    "流浪犬伤人隐患",
    "学校周边交通拥堵",
    "河道漂浮垃圾发臭",
    "外卖电动车逆行",
    "燃气表读数异常",
    "小区绿化被毁种菜",
    "楼道堆放杂物有火灾隐患",
    "出租车拒载绕路",
    "医院挂号难排队久",
    "社保卡补办进度慢",
    "公积金提取咨询",
    "户口迁移手续咨询",
    "农民工工资被拖欠",
    "房屋漏水开发商不维修",
    "网吧接纳未成年人",
    "药店售卖过期药品",
    "菜市场缺斤短两",
    "超市价格标签不符",
    "培训机构退费难",
    "快递柜收费不合理",
    "噪音扰民影响休息",
    "空调外机滴水",
    "高空抛物危害安全",
    "化粪池堵塞外溢",
    "路边停车收费混乱",
    "红绿灯时间设置不合理",
    "人行道砖松动",
    "行道树枝干遮挡信号灯",
    "居民楼外墙脱落",
    "养老金发放查询",
    "低保申请条件咨询",
    "新生儿医保办理",
    "驾驶证换证咨询",
    "不动产登记排队时间长",
    "公厕卫生状况差",
    "污水管网破裂",
    "工厂废气刺鼻",
    "渣土车抛洒",
    "烧烤摊烟雾扰民",
    "小区消防通道被占",
    "路灯白天不灭浪费电",
    "宠物狗未拴绳",
    "楼顶违建阳光房",
    "停水未提前通知",
]
RARE = "燃气泄漏报警器鸣响"

TICKETS = """
WITH p AS (SELECT CAST(:phrases AS text[]) AS ph,
                  (SELECT array_agg(code ORDER BY code) FROM categories WHERE level = 3) AS cats,
                  (SELECT array_agg(code ORDER BY code) FROM regions WHERE level IN ('street', 'county')) AS regs)
INSERT INTO tickets (number, retrieval_code_hash, channel, type, urgency, status, category_code, region_code,
    address, title, content, caller_id, publishable, confidential, dispatch_rounds, designated,
    satisfaction_excluded, reopen_count, occurred_at, created_at, updated_at)
SELECT 'XS' || lpad(i::text, 13, '0'), md5(i::text), 'phone', 'complaint', 'normal', 'closed',
       cats[1 + (i::bigint * 7919) % array_length(cats, 1)], regs[1 + (i::bigint * 104729) % array_length(regs, 1)],
       '宣州区梅园路' || (i % 5000) || '号', NULL,
       ph[1 + (i::bigint * 31) % 60] || '，' || ph[1 + (i::bigint * 17 + 7) % 60] || '，'
         || ph[1 + (i::bigint * 13 + 3) % 60] || CASE WHEN i % 10000 = 0 THEN '，' || :rare ELSE '' END
         || '，请尽快处理。',
       1 + i % 100000, false, false, 0, false, false, 0,
       timestamptz '2025-01-01 00:00+08' + (i::float8 / :n) * interval '365 days',
       timestamptz '2025-01-01 00:00+08' + (i::float8 / :n) * interval '365 days',
       timestamptz '2025-01-01 00:00+08' + (i::float8 / :n) * interval '365 days'
FROM p, generate_series(1, :n) AS i
"""
CALLERS = """
INSERT INTO callers (phone, name, do_not_call, created_at)
SELECT '+86139' || lpad(i::text, 8, '0'), NULL, false, now() FROM generate_series(1, 100000) AS i
"""

SEARCHES = [
    ("rare word (1 in 10,000)", {"q": RARE}),
    ("2-character word 路灯 (~10%)", {"q": "路灯"}),
    ("phrase (~5%)", {"q": "楼上夜间装修噪音扰民"}),
    ("two words (~0.3%)", {"q": "路灯 噪音"}),
    ("word + category", {"q": "噪音", "category": "01"}),
    ("phone", {"phone": "13900004242"}),
    ("no such word", {"q": "飞碟降落"}),
]


def fresh_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    name = f"hotline_bench_search_{os.getpid()}"
    url = fresh_database(args.admin_url, name)
    os.environ.update(DATABASE_URL=url, REDIS_URL=args.redis_url, HOTLINE_OUTBOX_RELAY_THREAD="0")
    # The app refuses to start without SECRET_KEY: a throwaway one for this run and the processes it starts.
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    try:
        run(args, url)
    finally:
        if not args.keep:
            from hotline.extensions import db

            try:
                db.engine.dispose()
            except Exception:  # noqa: BLE001 - no app was made
                pass
            drop_database(args.admin_url, name)
            print(f"dropped {name}")


def run(args, url: str) -> None:
    from flask_migrate import upgrade

    from hotline import create_app
    from hotline.api.auth import issue_token
    from hotline.cli import seed_demo
    from hotline.extensions import db
    from hotline.models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "OUTBOX_RELAY_THREAD": False, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        seed_demo()
        t0 = time.perf_counter()
        db.session.execute(text("DROP INDEX ix_tickets_search_grams"))  # built once at the end: faster
        db.session.execute(text("SET LOCAL synchronous_commit = off"))
        db.session.execute(text(CALLERS))
        db.session.execute(text(TICKETS), {"n": args.tickets, "phrases": PHRASES, "rare": RARE})
        db.session.commit()
        t1 = time.perf_counter()
        db.session.execute(text("SET maintenance_work_mem = '256MB'"))
        db.session.execute(
            text(
                "CREATE INDEX ix_tickets_search_grams ON tickets "
                "USING gin (ticket_search_grams(title, content, address, reply_text))"
            )
        )
        db.session.commit()
        t2 = time.perf_counter()
        db.session.execute(text("ANALYZE tickets"))
        db.session.commit()
        size = db.session.scalar(text("SELECT pg_size_pretty(pg_relation_size('ix_tickets_search_grams'))"))
        print(f"{args.tickets:,} tickets inserted in {t1 - t0:.1f} s; bigram index built in {t2 - t1:.1f} s ({size})")
        from sqlalchemy import select

        token = issue_token(db.session.scalar(select(User).where(User.username == "supervisor")))
        db.session.remove()

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def timed(params: dict, runs: int) -> tuple[list[float], dict]:
        out, body = [], {}
        for _ in range(runs):
            t = time.perf_counter()
            r = client.get("/api/v1/tickets", query_string={**params, "per_page": 20}, headers=headers)
            out.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.get_data(as_text=True)
            body = r.get_json()
        return out, body

    print(f"\nGET /api/v1/tickets, {args.runs} requests each (whole request, in process; loaded 2-core machine)")
    print(f"{'search':32} {'matches':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for label, params in SEARCHES:
        timed(params, 2)  # warm the plan and the cache
        times, body = timed(params, args.runs)
        total = f"{body['total']}{'' if body['total_exact'] else '+'}"
        print(f"{label:32} {total:>9} {statistics.median(times):8.1f} {pct(times, 99):8.1f}")

    # Baseline, same run: what a search without the index costs: the words' ILIKE over every ticket's text for the
    # same page of 20 and the same capped count, as plain SQL (no request, no serialization around it).
    from hotline.search import COUNT_CAP, search_text

    with app.app_context():
        from sqlalchemy import func, select

        from hotline.models import Ticket

        for label, params in SEARCHES[:3]:
            like = search_text().ilike("%" + params["q"] + "%")
            page = select(Ticket.id).where(like).order_by(Ticket.id.desc()).limit(20)
            count = select(func.count()).select_from(select(Ticket.id).where(like).limit(COUNT_CAP + 1).subquery())
            times = []
            for _ in range(3):
                t = time.perf_counter()
                db.session.execute(page).all()
                db.session.scalar(count)
                times.append((time.perf_counter() - t) * 1000)
            print(f"baseline ILIKE scan, {label:25} median of 3: {statistics.median(times):8.1f} ms")
        from hotline import search
        from hotline.models import User

        boss = db.session.scalar(select(User).where(User.username == "supervisor"))
        for label, params in (SEARCHES[0], SEARCHES[1], SEARCHES[3]):
            query, _total, order = search.search(boss, params)
            sql = query.with_only_columns(Ticket.id).order_by(order).limit(20)
            compiled = str(sql.compile(db.engine, compile_kwargs={"literal_binds": True})).replace("%%", "%")
            plan = db.session.execute(text("EXPLAIN (ANALYZE, COSTS OFF) " + compiled)).scalars().all()
            print(f"\nplan of the page, {label}:\n  " + "\n  ".join(plan))
        db.session.remove()


if __name__ == "__main__":
    main()
