"""The app's own records in the demo: two saved segments, and who the demo users are.

These tables take their ids from sequences, so they are written with ordinary Core inserts
(a few dozen rows).
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from data_access.roles import ROLES
from data_access.schema import saved_segments

DEMO_PASSWORD_SUFFIX = "-demo"  # the demo bank only: `make run` prints these accounts


def demo_accounts() -> list[tuple[str, str, str]]:
    """(user name, password, role) of the demo bank's users: one per role."""
    return [(code, code + DEMO_PASSWORD_SUFFIX, code) for code in ROLES]


def write_app_records(
    conn: sa.Connection,
    branches: pa.Table,
    officers: pa.Table,
    end: datetime,
    rng: np.random.Generator,
) -> dict[str, int]:
    """Two saved segments (the roles and demo users come from ``auth.ensure_demo_accounts``)."""
    created = datetime.combine(end.date() - timedelta(days=400), time(9, 0))
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
    return {"saved_segments": len(segs)}
