"""The Arrow type of each SQL column type: what Spark staging writes and what fetched frames hold."""

from __future__ import annotations

import pyarrow as pa
import sqlalchemy as sa


def arrow_type(kind: sa.types.TypeEngine) -> pa.DataType:
    """The Arrow type a column of this SQL type is staged as (text when nothing closer)."""
    for generic, arrow in (
        (sa.Boolean, pa.bool_()),
        (sa.SmallInteger, pa.int16()),
        (sa.BigInteger, pa.int64()),
        (sa.Integer, pa.int32()),
        (sa.DateTime, pa.timestamp("us")),
        (sa.Date, pa.date32()),
        (sa.Float, pa.float64()),
        (sa.Numeric, pa.float64()),
    ):
        if isinstance(kind, generic):
            return arrow
    return pa.string()
