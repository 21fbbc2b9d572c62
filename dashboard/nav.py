"""The page registry: which pages exist, in which audience section (used by the router and tests).

Which role may open which page is in ``data_access/roles.py`` (by URL path); the router shows a
role only its pages and answers any other URL with a polite refusal.
"""

from __future__ import annotations

from pathlib import Path

PAGES_DIR = Path(__file__).parent / "pages"

# Audience section -> its pages as {name: emoji icon} (emoji: no web font is fetched). A page NAME
# is the script pages/NAME.py at the URL path /NAME, titled by the locale key NAME.title.
# The first page is the default, served at "/" (Streamlit serves the default page only there, so
# the president's page gets its own /kpis link by not being the default).
SECTIONS: dict[str, dict[str, str]] = {
    "home": {"home": "🏠"},
    "president": {"kpis": "📊"},
    "marketing": {"segments": "🎯", "loyalty": "🤝", "funnels": "🔻"},
    "training": {"officers": "🧑‍🏫", "suggestions": "💡"},
    "officer": {"customer": "👣", "quality": "📝"},
    "credit": {"credit": "🧾"},
    "admin": {"data_import": "📥", "audit": "📜", "admin": "🔐"},
}

# (section, file, url path, emoji icon, title key), one row a page in the order above.
PAGE_TABLE: tuple[tuple[str, str, str, str, str], ...] = tuple(
    (section, f"{name}.py", name, icon, f"{name}.title")
    for section, pages in SECTIONS.items()
    for name, icon in pages.items()
)
