"""Reading identifiers and search text from people: only what the database can hold gets through."""

from __future__ import annotations

import unicodedata

MAX_ID_DIGITS = 18  # every id column is a BIGINT: 18 digits always fit (2**63 ≈ 9.2e18)
MAX_SEARCH_CHARS = 64


def parse_id(text: str) -> int | None:
    """A positive id from ASCII digits ('²' and '٣' are digits to ``isdigit`` but not ids)."""
    text = text.strip()
    if not text or len(text) > MAX_ID_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value > 0 else None


def is_id_like(text: str) -> bool:
    """True when ``text`` is all ASCII digits, whatever its length (an id, or a phone's end)."""
    return bool(text) and text.isascii() and text.isdigit()


def clean_text(text: str, limit: int = MAX_SEARCH_CHARS) -> str:
    """Text without control characters (NUL cannot be stored by PostgreSQL), trimmed to ``limit``."""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return kept.strip()[:limit]
