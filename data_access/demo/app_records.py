"""The app's own records in the demo: roles, a few users, sign-ins, two saved segments.

These tables take their ids from sequences, so they are written with ordinary Core inserts
(a few dozen rows).
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from data_access.schema import audit_log, roles, saved_segments, users

ROLES = (
    ("admin", "系统管理员", "Administrator", "Manages users, standards and data loads."),
    ("head_office", "总行管理层", "Head office", "Sees the whole bank."),
    (
        "branch_president",
        "网点负责人",
        "Branch president",
        "Sees one branch: KPIs, officers, alerts.",
    ),
    ("marketing", "营销团队", "Marketing", "Builds segments and follows campaign funnels."),
    (
        "training_lead",
        "培训负责人",
        "Training lead",
        "Follows officers' engagement and training effects.",
    ),
    ("officer", "客户经理", "Officer", "Sees the customers in the own book."),
    (
        "credit_officer",
        "信贷员",
        "Credit officer",
        "Checks loan applicants against their footprints.",
    ),
)


def write_app_records(
    conn: sa.Connection,
    branches: pa.Table,
    officers: pa.Table,
    end: datetime,
    rng: np.random.Generator,
) -> dict[str, int]:
    conn.execute(
        roles.insert(),
        [{"role": r, "label_zh": zh, "label_en": en, "description": d} for r, zh, en, d in ROLES],
    )
    created = datetime.combine(end.date() - timedelta(days=400), time(9, 0))
    rows = [
        {
            "username": "admin",
            "display_name": "系统管理员",
            "role": "admin",
            "branch_id": None,
            "officer_id": None,
        },
        {
            "username": "president",
            "display_name": "行长",
            "role": "head_office",
            "branch_id": None,
            "officer_id": None,
        },
        {
            "username": "marketing",
            "display_name": "营销部",
            "role": "marketing",
            "branch_id": None,
            "officer_id": None,
        },
        {
            "username": "training",
            "display_name": "培训中心",
            "role": "training_lead",
            "branch_id": None,
            "officer_id": None,
        },
    ]
    b_ids = branches.column("branch_id").to_pylist()
    b_codes = branches.column("code").to_pylist()
    b_names = branches.column("name").to_pylist()
    for bid, code, name in zip(b_ids, b_codes, b_names, strict=True):
        rows.append(
            {
                "username": f"head_{code.lower()}",
                "display_name": f"{name}负责人",
                "role": "branch_president",
                "branch_id": bid,
                "officer_id": None,
            }
        )
    o_ids = officers.column("officer_id").to_pylist()
    o_br = officers.column("branch_id").to_pylist()
    o_names = officers.column("name").to_pylist()
    o_roles = officers.column("role").to_pylist()
    seen: set[int] = set()
    for oid, bid, name, role in zip(o_ids, o_br, o_names, o_roles, strict=True):
        if role == "teller" or bid in seen:
            continue
        seen.add(bid)
        rows.append(
            {
                "username": f"officer{oid:04d}",
                "display_name": name,
                "role": "credit_officer" if role == "credit_officer" else "officer",
                "branch_id": bid,
                "officer_id": oid,
            }
        )
    for r in rows:
        r.update(password_hash=None, active=True, created_at=created)
    conn.execute(users.insert(), rows)
    audit = []
    for d in range(14):
        day = end - timedelta(days=d)
        for r in rows[: 4 + int(rng.integers(0, 6))]:
            audit.append(
                {
                    "occurred_at": datetime.combine(day.date(), time(8, int(rng.integers(0, 59)))),
                    "username": r["username"],
                    "action": "sign_in",
                    "target": None,
                    "detail": None,
                }
            )
    conn.execute(audit_log.insert(), audit)
    segs = [
        {
            "name": "富裕客户·有车·无信用卡",
            "owner": "marketing",
            "definition": json.dumps(
                {"tiers": ["affluent"], "signals": ["car_owner"], "without_product": "credit_card"},
                ensure_ascii=False,
            ),
            "created_at": created,
        },
        {
            "name": "资金外流预警",
            "owner": "marketing",
            "definition": json.dumps({"signals": ["outflow_risk"]}, ensure_ascii=False),
            "created_at": created,
        },
    ]
    conn.execute(saved_segments.insert(), segs)
    return {
        "roles": len(ROLES),
        "users": len(rows),
        "audit_log": len(audit),
        "saved_segments": len(segs),
    }
