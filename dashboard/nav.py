"""The page registry: which pages exist, in which audience section (used by the router and tests).

Which role may open which page is in ``data_access/roles.py`` (by URL path); the router shows a
role only its pages and answers any other URL with a polite refusal.
"""

from __future__ import annotations

from pathlib import Path

PAGES_DIR = Path(__file__).parent / "pages"

# (section, file, url path, emoji icon, title key) — emoji icons: no web font is fetched.
# The first page is the default, served at "/" (Streamlit serves the default page only there, so
# the president's page gets its own /kpis link by not being the default).
PAGE_TABLE: tuple[tuple[str, str, str, str, str], ...] = (
    ("home", "home.py", "home", "🏠", "home.title"),
    ("president", "kpis.py", "kpis", "📊", "kpis.title"),
    ("marketing", "segments.py", "segments", "🎯", "segments.title"),
    ("marketing", "loyalty.py", "loyalty", "🤝", "loyalty.title"),
    ("marketing", "funnels.py", "funnels", "🔻", "funnels.title"),
    ("training", "officers.py", "officers", "🧑‍🏫", "officers.title"),
    ("training", "suggestions.py", "suggestions", "💡", "suggestions.title"),
    ("officer", "customer.py", "customer", "👣", "customer.title"),
    ("officer", "quality.py", "quality", "📝", "quality.title"),
    ("credit", "credit.py", "credit", "🧾", "credit.title"),
    ("admin", "data_import.py", "data_import", "📥", "data_import.title"),
    ("admin", "audit.py", "audit", "📜", "audit.title"),
    ("admin", "admin.py", "admin", "🔐", "admin.title"),
)
