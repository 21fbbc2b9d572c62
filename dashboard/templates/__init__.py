"""Jinja2 templates (the weekly report); a package so that the wheel ships them."""
