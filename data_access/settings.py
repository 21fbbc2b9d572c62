"""Settings: each has a name, a default and a help text; secrets only in the environment or secrets.toml."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("FOOTPRINT_DATA_DIR", PROJECT_ROOT / "data"))
SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class Setting:
    """One configurable value of the product."""

    env: str
    default: str
    help: str


SETTINGS: dict[str, Setting] = {
    "database_url": Setting(
        "FOOTPRINT_DATABASE_URL",
        "",
        "SQLAlchemy URL of the bank's database (duckdb:///…, postgresql+psycopg://…, hive://…). "
        "Empty: the embedded DuckDB file data/footprint.duckdb, created with a demo bank.",
    ),
    "spark_staging_dir": Setting(
        "FOOTPRINT_SPARK_STAGING",
        "",
        "Spark (hive://) only: folder where loads and mart refreshes stage Parquet files for Spark "
        "to copy; the Spark cluster must read the same path. Empty: data/spark-staging.",
    ),
    "standards_file": Setting(
        "FOOTPRINT_STANDARDS",
        "",
        "TOML file with the bank's value / loyalty standard; empty: metrics/standards.toml.",
    ),
    "demo_customers": Setting(
        "FOOTPRINT_DEMO_CUSTOMERS",
        "20000",
        "Number of customers in the demo bank created on first start.",
    ),
    "session_idle_minutes": Setting(
        "FOOTPRINT_SESSION_IDLE_MINUTES",
        "30",
        "A signed-in session ends after this many minutes without a page view.",
    ),
    "session_hours": Setting(
        "FOOTPRINT_SESSION_HOURS",
        "12",
        "A signed-in session ends this many hours after sign-in, however active.",
    ),
    "oidc_role_claim": Setting(
        "FOOTPRINT_OIDC_ROLE_CLAIM",
        "footprint_role",
        "Single sign-on: the ID-token claim holding the Footprint role (admin, president, …).",
    ),
    "oidc_branch_claim": Setting(
        "FOOTPRINT_OIDC_BRANCH_CLAIM",
        "footprint_branch",
        "Single sign-on: the claim holding the branch id (or a list / '3,5' for marketing).",
    ),
    "oidc_officer_claim": Setting(
        "FOOTPRINT_OIDC_OFFICER_CLAIM",
        "footprint_officer",
        "Single sign-on: the claim holding the officer id (role officer).",
    ),
    "frontend_tuning": Setting(
        "FOOTPRINT_FRONTEND_TUNING",
        "gzip",
        "gzip: python -m dashboard serves Streamlit's frontend gzipped (dashboard/frontend.py); "
        "preload: also preloads the pages' charts and tables; off: as Streamlit serves it.",
    ),
    "demo_seed": Setting("FOOTPRINT_DEMO_SEED", "7", "Seed of the demo bank generator."),
    "demo_end_date": Setting(
        "FOOTPRINT_DEMO_END_DATE",
        "2026-11-22",
        "Last day of the demo bank's two-year history (a Sunday: the last full week).",
    ),
}


def _secrets() -> dict[str, object]:
    """The [footprint] section of .streamlit/secrets.toml, if the file exists."""
    if not SECRETS_FILE.exists():
        return {}
    try:
        with SECRETS_FILE.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadSetting(f".streamlit/secrets.toml cannot be read: {type(exc).__name__}") from exc
    section = data.get("footprint", {})
    return section if isinstance(section, dict) else {}


def get_setting(name: str) -> str:
    """Value of a setting: environment first, then secrets.toml [footprint], then the default."""
    setting = SETTINGS[name]
    if setting.env in os.environ:
        return os.environ[setting.env]
    value = _secrets().get(name)
    return str(value) if value is not None else setting.default


class BadSetting(ValueError):
    """A setting's value cannot be used; the message names the setting and what it expects."""


def setting_int(name: str, lo: int = 0, hi: int = 10**9) -> int:
    """A whole-number setting in [lo, hi], or BadSetting naming its variable."""
    text = get_setting(name).strip()
    env = SETTINGS[name].env
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 12:
        raise BadSetting(f"{env} must be a whole number, not {text[:40]!r}")
    value = int(text)
    if not lo <= value <= hi:
        raise BadSetting(f"{env} must be between {lo:,} and {hi:,}, not {value:,}")
    return value


def setting_date(name: str) -> date:
    """A date setting (YYYY-MM-DD), or BadSetting naming its variable."""
    text = get_setting(name).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadSetting(
            f"{SETTINGS[name].env} must be a date (YYYY-MM-DD), not {text[:40]!r}"
        ) from None


def default_duckdb_path() -> Path:
    """Where the embedded demo database lives."""
    return DATA_DIR / "footprint.duckdb"


def database_url() -> str:
    """The configured database URL, or the embedded DuckDB file."""
    return get_setting("database_url") or f"duckdb:///{default_duckdb_path()}"
