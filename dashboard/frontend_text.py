"""Streamlit's and plotly's own UI text in Chinese ("Select all", toolbar and modebar tooltips).

Streamlit has no i18n of its own, so its frontend draws a few words in English whatever the
page's language. A small script, sent with each run, replaces those exact texts — visible text
and the tooltip attributes — with the Chinese of ``dashboard/locales/frontend.toml`` while the
UI is in Chinese, also in parts drawn later (a dropdown opened, a chart hovered).
"""

from __future__ import annotations

import json
import re
from functools import cache

import streamlit as st

from dashboard.i18n import catalog

ATTRIBUTES = ("aria-label", "title", "data-title", "placeholder")

_SCRIPT = """
<script>
(() => {
  const w = window;
  w.__fpText = { map: %(map)s, patterns: %(patterns)s, on: %(on)s };
  if (w.__fpTextObserver) { w.__fpTextApply(document.body); return; }
  const ATTRS = %(attrs)s;
  const swap = (s) => {
    if (!w.__fpText.on || !s) return null;
    const key = s.trim();
    const zh = w.__fpText.map[key];
    if (zh !== undefined) return s.replace(key, zh);
    for (const [re, out] of w.__fpText.patterns) {
      const m = key.match(new RegExp(re));
      if (m) return s.replace(key, out.replace("{n}", m[1]));
    }
    return null;
  };
  const apply = (root) => {
    if (!root) return;
    if (root.nodeType === 3) { const v = swap(root.nodeValue); if (v !== null) root.nodeValue = v; return; }
    if (root.nodeType !== 1) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const v = swap(n.nodeValue); if (v !== null) n.nodeValue = v;
    }
    const els = [root, ...root.querySelectorAll(ATTRS.map((a) => "[" + a + "]").join(","))];
    for (const el of els) for (const a of ATTRS) {
      if (!el.hasAttribute || !el.hasAttribute(a)) continue;
      const v = swap(el.getAttribute(a)); if (v !== null) el.setAttribute(a, v);
    }
  };
  w.__fpTextApply = apply;
  w.__fpTextObserver = new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === "childList") c.addedNodes.forEach(apply);
      else apply(c.target);
    }
  });
  w.__fpTextObserver.observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRS,
  });
  apply(document.body);
})();
</script>
"""


@cache
def _english_to_chinese() -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The frontend's English text → its Chinese, from the locale file: exact texts, and texts
    with a count ``{n}`` as (regular expression, Chinese) pairs."""
    exact: dict[str, str] = {}
    patterns: list[tuple[str, str]] = []
    for key, texts in catalog().items():
        if not key.startswith("frontend."):
            continue
        if "{n}" in texts["en"]:
            head, tail = texts["en"].split("{n}", 1)
            patterns.append((f"^{re.escape(head)}(\\d+){re.escape(tail)}$", texts["zh"]))
        else:
            exact[texts["en"]] = texts["zh"]
    return exact, patterns


def frontend_text(lang: str) -> None:
    """Send the script that puts the frontend's own words into ``lang`` (no space on the page)."""
    exact, patterns = _english_to_chinese()
    body = _SCRIPT % {
        "map": json.dumps(exact, ensure_ascii=False),
        "patterns": json.dumps(patterns, ensure_ascii=False),
        "on": "true" if lang == "zh" else "false",
        "attrs": json.dumps(list(ATTRIBUTES)),
    }
    st.html(body, unsafe_allow_javascript=True)
