"""The page registry: which pages exist, in which audience section (used by the router and tests)."""

from __future__ import annotations

from pathlib import Path

PAGES_DIR = Path(__file__).parent / "pages"

# (section, file, url path, emoji icon, title key) — emoji icons: no web font is fetched.
PAGE_TABLE: tuple[tuple[str, str, str, str, str], ...] = (
    ("president", "kpis.py", "kpis", "📊", "kpis.title"),
    ("marketing", "segments.py", "segments", "🎯", "segments.title"),
    ("marketing", "loyalty.py", "loyalty", "🤝", "loyalty.title"),
    ("marketing", "funnels.py", "funnels", "🔻", "funnels.title"),
    ("training", "officers.py", "officers", "🧑‍🏫", "officers.title"),
    ("officer", "customer.py", "customer", "👣", "customer.title"),
)
