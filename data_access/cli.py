"""Command line: create a demo bank, show row counts, refresh the marts.

    python -m data_access init --url URL --customers N --seed S [--end-date YYYY-MM-DD] [--replace]
    python -m data_access info --url URL
    python -m data_access ensure-demo            # used by `make run`
    python -m data_access refresh --url URL
    python -m data_access upgrade --url URL      # bring the schema to this release's (Alembic)
    python -m data_access backup --to FILE [--url URL] [--force]     # DuckDB file, while it serves
    python -m data_access restore --from FILE [--url URL] [--force]  # dashboard stopped
    python -m data_access import --url URL --mapping M --table T FILE [--encoding E] [--dry-run]
    python -m data_access export --url URL --mapping M [--table T] FOLDER
    python -m data_access quality --url URL [--table T]
    python -m data_access users list|create|disable|enable|reset|assign …   (see `users --help`)
    python -m data_access audit-prune --url URL  # delete audit entries past the standard's retention

Errors are one line on stderr and a non-zero exit code (2 when refusing to overwrite a bank).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from data_access import audit
from data_access.backup import BackupRefused
from data_access.engine import has_schema, lock_holder, make_engine
from data_access.errors import BadDatabaseUrl, DatabaseBusy, DatabaseNotEmpty, FootprintError
from data_access.schema import bank_meta, metadata
from data_access.settings import (
    BadSetting,
    database_url,
    setting_date,
    setting_int,
)

EXIT_ERROR = 1
EXIT_REFUSED = 2
BUSY_HINT = (
    "If it is the dashboard: stop it (Ctrl-C where `make run` runs), run this command, start it "
    "again. If it is a load or a refresh: wait for it to finish."
)


IMPORT_BUSY_HINT = (
    "While the dashboard runs on the embedded DuckDB file, import through its admin page "
    "(数据导入 / Data import), or stop the dashboard and run this command again; with "
    "PostgreSQL both can run at once."
)


def _busy_hint(args: argparse.Namespace) -> str:
    return IMPORT_BUSY_HINT if getattr(args, "command", "") == "import" else BUSY_HINT


class CliError(Exception):
    """A failure explained in one line."""


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from exc
    if n < 200:
        raise argparse.ArgumentTypeError("a demo bank needs at least 200 customers")
    return n


def _engine(url: str, *, read_only: bool = False) -> sa.Engine:
    """An engine for ``url``; a DuckDB file's folder is created (unless only reading); bad URLs
    become CliError. ``read_only``: a DuckDB file is opened read-only (it may not be writable)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise CliError(f"not a database URL: {url!r}") from exc
    file = parsed.database if parsed.get_backend_name() == "duckdb" else None
    if file and file != ":memory:":
        path = Path(file).expanduser()
        if read_only and not path.is_file():
            raise CliError(
                f"no database file {path.name} in {path.parent}: run `python -m data_access init`"
            )
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
    else:
        read_only = False
    try:
        return make_engine(url, read_only=read_only)
    except BadDatabaseUrl as exc:
        raise CliError(f"unsupported database URL {parsed.render_as_string()}: {exc}") from exc


def _safe_url(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def _printer(stream=sys.stderr) -> Callable[[str, float], None]:
    """A progress callback printing one line per stage (and every 10% within a long stage)."""
    state = {"stage": None, "pct": -100, "t0": time.monotonic()}

    def report(stage: str, fraction: float) -> None:
        pct = round(100 * fraction)
        if stage == state["stage"] and pct - state["pct"] < 10:
            return
        state["stage"], state["pct"] = stage, pct
        elapsed = time.monotonic() - state["t0"]
        print(f"[{pct:3d}%] {elapsed:6.1f}s  {stage}", file=stream, flush=True)

    return report


def _meta(conn: sa.Connection) -> dict[str, str]:
    return {k: v for k, v in conn.execute(sa.select(bank_meta.c.key, bank_meta.c.value)).all()}


def _require_schema(conn: sa.Connection, url: str, hint: str = "") -> None:
    """Stop with a message when the database holds no Footprint tables."""
    if not has_schema(conn):
        raise CliError(f"{_safe_url(url)} holds no Footprint tables{hint}")


def _loaded(engine: sa.Engine) -> dict[str, str] | None:
    """bank_meta when the database holds a completely loaded bank, else None."""
    with engine.connect() as conn:
        if not has_schema(conn):
            return None
        meta = _meta(conn)
    return meta if meta.get("data_as_of") else None


def _build(url: str, customers: int, seed: int, end: date, replace: bool) -> dict[str, int]:
    from data_access.demo import build_demo

    engine = _engine(url)
    try:
        t0 = time.monotonic()
        counts = build_demo(
            engine,
            customers=customers,
            seed=seed,
            end_date=end,
            replace=replace,
            progress=_printer(),
        )
        total = sum(counts.values())
        print(
            f"demo bank ready at {_safe_url(url)}: {customers:,} customers, "
            f"{counts.get('footprints', 0):,} footprints, {total:,} rows in "
            f"{time.monotonic() - t0:.1f} s"
        )
        return counts
    finally:
        engine.dispose()


def cmd_init(args: argparse.Namespace) -> int:
    """Create the schema and the demo bank."""
    _build(args.url, args.customers, args.seed, args.end_date, args.replace)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """Print the row count of every table (read-only: works on a file this user cannot write)."""
    engine = _engine(args.url, read_only=True)
    try:
        with engine.connect() as conn:
            _require_schema(conn, args.url, ": run `python -m data_access init`")
            width = max(len(n) for n in metadata.tables)
            print(f"database {_safe_url(args.url)}")
            for name, table in metadata.tables.items():
                n = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                print(f"{name:<{width}}  {n:>12,}")
            meta = _meta(conn)
        for key in ("data_as_of", "customers", "seed", "generator_version", "loaded_at"):
            if key in meta:
                print(f"{key}: {meta[key]}")
        if not meta.get("data_as_of"):
            print("warning: no data_as_of stamp — the last load did not complete", file=sys.stderr)
    finally:
        engine.dispose()
    return 0


def cmd_ensure_demo(args: argparse.Namespace) -> int:
    """Create the configured database's demo bank unless a complete one is there."""
    url = args.url or database_url()
    engine = _engine(url)
    try:
        meta = _loaded(engine)
        if meta is not None:
            from data_access.load_state import DEMO_WRITER
            from data_access.migrate import upgrade

            demo = meta.get("written_by", DEMO_WRITER) == DEMO_WRITER
            if demo:  # a bank's own: its admin's call
                before, after = upgrade(engine)  # the demo bank follows the code's schema
                if before != after:
                    print(f"schema upgraded: {before or 'unversioned'} -> {after}")
                from data_access.auth import ensure_demo_accounts

                ensure_demo_accounts(engine)  # a demo bank built before sign-in gets its users
            print(
                f"bank ready at {_safe_url(url)} (data as of {meta['data_as_of']}, "
                f"{int(meta.get('customers', '0') or 0):,} customers)"
            )
            if demo:
                _print_demo_accounts()
            return 0
        from data_access.demo.load import check_demo_may_build

        check_demo_may_build(engine)  # empty, or the demo's own unfinished build: else refused
    finally:
        engine.dispose()
    customers = setting_int("demo_customers", lo=200, hi=10_000_000)
    print(f"building the demo bank ({customers:,} customers) at {_safe_url(url)} …", flush=True)
    _build(
        url,
        customers,
        setting_int("demo_seed"),
        setting_date("demo_end_date"),
        replace=True,
    )
    _print_demo_accounts()
    return 0


def cmd_upgrade(args: argparse.Namespace) -> int:
    """Bring the database's schema to this release's head revision."""
    from data_access.migrate import upgrade

    engine = _engine(args.url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        print(f"schema of {_safe_url(args.url)} is current (revision {after})")
    else:
        print(f"schema of {_safe_url(args.url)} upgraded: {before or 'unversioned'} -> {after}")
    return 0


def _require_current_schema(engine: sa.Engine, url: str) -> None:
    """Refuse to write marts into a schema older than the code's (columns could be missing)."""
    from data_access.migrate import current, head

    with engine.connect() as conn:
        at = current(conn)
    if at != head():
        raise CliError(
            f"the schema of {_safe_url(url)} is at revision {at or 'unversioned'}, this release "
            f"needs {head()}: run `python -m data_access upgrade --url URL` first"
        )


def _print_demo_accounts() -> None:
    from data_access.demo.app_records import demo_accounts

    print("demo users (user name / password — the demo bank only):")
    for username, password, role_code in demo_accounts():
        print(f"  {username:<10} {password:<16} {role_code}")


def _ids(value: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in value.split(",") if p.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of branch ids: {value!r}") from exc


def _password(args: argparse.Namespace) -> str:
    """The new password: one line on stdin with --password-stdin, else asked twice."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("new password: ")
    if getpass.getpass("again: ") != first:
        raise CliError("the two passwords differ")
    return first


def _operator() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:64]
    except OSError:
        return "cli"


def cmd_users(args: argparse.Namespace) -> int:
    """Create, disable, enable, reset, assign and list users."""
    from data_access import auth

    engine = _engine(args.url)
    try:
        with engine.begin() as conn:
            _require_schema(conn, args.url, ": run `init` first")
        auth.ensure_roles(engine)
        with engine.begin() as conn:
            by = _operator()
            if args.action == "list":
                for row in auth.list_users(conn).iter_rows(named=True):
                    where = row["branch_ids"] or row["branch_id"] or "bank"
                    state = "active" if row["active"] else "disabled"
                    officer = f" officer {row['officer_id']}" if row["officer_id"] else ""
                    print(
                        f"{row['username']:<16} {row['role']:<10} {state:<8} "
                        f"branch {where}{officer}  {row['display_name']}"
                    )
                return 0
            if args.action == "create":
                auth.create_user(
                    conn,
                    args.username,
                    _password(args),
                    args.role,
                    display_name=args.name,
                    branch_id=args.branch,
                    officer_id=args.officer,
                    branch_ids=args.branches,
                    by=by,
                )
            elif args.action in ("disable", "enable"):
                auth.set_active(conn, args.username, args.action == "enable", by=by)
            elif args.action == "reset":
                auth.reset_password(conn, args.username, _password(args), by=by)
            elif args.action == "assign":
                auth.assign(
                    conn,
                    args.username,
                    args.role,
                    branch_id=args.branch,
                    officer_id=args.officer,
                    branch_ids=args.branches,
                    by=by,
                )
        print(f"{args.action}: {args.username} done")
    finally:
        engine.dispose()
    return 0


def _users_parser(sub: argparse._SubParsersAction) -> None:
    from data_access.roles import ROLES

    users = sub.add_parser(
        "users", help="manage users: list, create, disable, enable, reset, assign"
    )
    users.add_argument("--url", default=None)
    acts = users.add_subparsers(dest="action", required=True)
    # --url also after the action, as the README writes it (`users create NAME … --url URL`)
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument("--url", default=argparse.SUPPRESS)
    acts.add_parser("list", help="every user with role and scope", parents=[after])
    for name, helptext in (
        ("create", "a new user (password asked, or one line on stdin with --password-stdin)"),
        ("assign", "give a user a role and scope (their sessions end)"),
    ):
        a = acts.add_parser(name, help=helptext, parents=[after])
        a.add_argument("username")
        a.add_argument("--role", required=True, choices=sorted(ROLES))
        a.add_argument("--branch", type=int, default=None, help="branch id (president, credit…)")
        a.add_argument("--officer", type=int, default=None, help="officer id (role officer)")
        a.add_argument("--branches", type=_ids, default=(), help="marketing: branch ids, '3,5'")
        if name == "create":
            a.add_argument("--name", default=None, help="display name (default: user name)")
            a.add_argument("--password-stdin", action="store_true")
    for name in ("disable", "enable", "reset"):
        a = acts.add_parser(name, help=f"{name} a user", parents=[after])
        a.add_argument("username")
        if name == "reset":
            a.add_argument("--password-stdin", action="store_true")
    users.set_defaults(func=cmd_users)


def cmd_refresh(args: argparse.Namespace) -> int:
    """Re-run every mart refresher."""
    from data_access.refresh import configured_standards, refresh_all

    engine = _engine(args.url)
    try:
        meta = _loaded(engine)
        if meta is None:
            raise CliError(f"{_safe_url(args.url)} holds no complete bank: run `init` first")
        _require_current_schema(engine, args.url)
        as_of = args.as_of or date.fromisoformat(meta["data_as_of"])
        standards = configured_standards()
        print(f"standard {standards.version} ({Path(standards.source).name})", file=sys.stderr)
        written = refresh_all(engine, standards, as_of, _printer())
        for name, n in written.items():
            print(f"{name}: {n:,} rows")
    finally:
        engine.dispose()
    return 0


def _summary(report) -> None:
    tables = report.manifest.tables
    rows = sum(n for n, _ in tables.values())
    print(
        f"{len(tables)} tables, {rows:,} rows, counts and checksums verified; "
        f"{report.size / 1e6:,.1f} MB in {report.seconds:.1f} s"
    )


def cmd_audit_prune(args: argparse.Namespace) -> int:
    """The retention purge: delete audit entries older than the standard's retention (audited)."""
    from data_access.refresh import configured_standards

    days = configured_standards().alerts.audit_retention_days
    engine = _engine(args.url)
    try:
        with engine.begin() as conn:
            deleted = audit.prune(conn, days)
            audit.record(
                conn, _operator(), "audit_prune", detail={"older_than_days": days},
                row_count=deleted,
            )  # fmt: skip
    finally:
        engine.dispose()
    print(f"audit log: {deleted:,} entries older than {days} days deleted")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Snapshot the DuckDB database into a file (asks a running dashboard to take it)."""
    from data_access.backup import backup

    report = backup(args.url, Path(args.to), force=args.force)
    how = "by the running dashboard" if report.via == "dashboard" else "from the file"
    print(f"backup of {_safe_url(args.url)} written to {report.path} (snapshot taken {how})")
    _summary(report)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the DuckDB database with a backup, verified before it replaces anything."""
    from data_access.backup import restore

    report = restore(Path(getattr(args, "from")), args.url, force=args.force)
    print(
        f"restored {report.path} from the backup taken {report.manifest.taken_at} "
        f"of {report.manifest.source}"
    )
    _summary(report)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import one file of the bank's data into one table (validated, idempotent)."""
    from data_access.importing import import_file

    path = Path(args.file)
    rejects = args.rejects or path.with_name(f"{path.stem}.rejects.csv")
    engine = _engine(args.url)
    try:
        result = import_file(
            engine,
            path,
            args.mapping,
            args.table,
            encoding=args.encoding,
            dry_run=args.dry_run,
            rejects_path=rejects,
            lang=args.lang,
            username=args.user,
            refresh=not args.no_refresh,
            progress=_printer(),
            **({"block_size": args.block_size} if args.block_size else {}),
        )
    finally:
        engine.dispose()
    verb = "would be" if result.dry_run else "were"
    print(
        f"{result.file} → {result.table} ({result.mapping}, {result.encoding or 'binary'}): "
        f"{result.rows_read:,} rows read, {result.rejected:,} rejected; "
        f"{result.inserted:,} {verb} inserted, {result.updated:,} updated, "
        f"{result.unchanged:,} unchanged ({result.seconds:.1f} s)"
    )
    if result.ignored_columns:
        print(f"ignored columns: {', '.join(result.ignored_columns)}")
    if result.rejected:
        print(f"rejects (with every reason): {rejects}")
        for column, n in sorted(result.rejects_by_column.items(), key=lambda kv: -kv[1]):
            print(f"  {column}: {n:,}")
    if result.dry_run:
        print("dry run: nothing was written")
    else:
        print(f"import batch {result.batch_id}; data as of {result.data_as_of or '—'}")
        from data_access.importing.quality import format_report, quality_report

        engine = _engine(args.url)
        try:
            print(format_report(quality_report(engine, [result.table])))
        finally:
            engine.dispose()
        if result.refreshed:
            how = ", ".join(f"{name} {way}" for name, way in result.marts.items())
            print(f"marts refreshed: {how}" if how else "no mart reads what changed")
        elif result.inserted or result.updated:
            print("marts not refreshed: run `python -m data_access refresh` when all files are in")
    return 0


def cmd_quality(args: argparse.Namespace) -> int:
    """Print the data-quality report of the loaded tables."""
    from data_access.importing.quality import format_report, quality_report

    engine = _engine(args.url)
    try:
        with engine.connect() as conn:
            _require_schema(conn, args.url)
        print(format_report(quality_report(engine, [args.table] if args.table else None)))
    finally:
        engine.dispose()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write tables in a mapping's layout (one file per table); each file is audited."""
    from data_access.importing.export import export_bank, export_table
    from data_access.importing.rules import TABLE_RULES

    engine = _engine(args.url)
    try:
        if args.table:
            from data_access.importing import load_mapping

            m = load_mapping(args.mapping)
            out = Path(args.out) / m.table(args.table).file_hint
            n = export_table(
                engine, args.table, m, out, encoding=args.encoding, thousands=args.thousands
            )
            print(f"{args.table}: {n:,} rows → {out}")
            written = {args.table: (out, n)}
        else:
            files = export_bank(
                engine, args.mapping, args.out, encoding=args.encoding, thousands=args.thousands
            )
            written = {}
            with engine.connect() as conn:  # a whole table per file: its rows are the table's
                for name, out in files.items():
                    table = TABLE_RULES[name].table
                    rows = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                    written[name] = (out, int(rows or 0))
                    print(f"{name} → {out}")
        # files of customers' data leaving the database: in the audit log like the app's exports
        with engine.begin() as conn:
            for name, (out, rows) in written.items():
                audit.record(
                    conn,
                    _operator(),
                    "export",
                    target=out.name,
                    detail={"file": str(out), "filters": {"mapping": str(args.mapping),
                                                          "table": name}},
                    row_count=rows,
                )  # fmt: skip
    finally:
        engine.dispose()
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m data_access", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create the schema and a demo bank")
    init.add_argument(
        "--url", required=True, help="SQLAlchemy URL (duckdb:///file, postgresql+psycopg://…)"
    )
    init.add_argument(
        "--customers", type=_positive, default=setting_int("demo_customers", lo=200, hi=10_000_000)
    )
    init.add_argument("--seed", type=int, default=setting_int("demo_seed"))
    init.add_argument("--end-date", type=_date, default=setting_date("demo_end_date"))
    init.add_argument("--replace", action="store_true", help="overwrite a database that holds data")
    init.set_defaults(func=cmd_init)
    info = sub.add_parser("info", help="row count of every table")
    info.add_argument("--url", default=None)
    info.set_defaults(func=cmd_info)
    ens = sub.add_parser("ensure-demo", help="build the configured database's demo bank if missing")
    ens.add_argument("--url", default=None, help="default: the configured database")
    ens.set_defaults(func=cmd_ensure_demo)
    ref = sub.add_parser("refresh", help="recompute the marts")
    ref.add_argument("--url", default=None)
    ref.add_argument("--as-of", type=_date, default=None, help="default: bank_meta data_as_of")
    ref.set_defaults(func=cmd_refresh)
    upg = sub.add_parser("upgrade", help="bring the schema to this release's version (Alembic)")
    upg.add_argument("--url", default=None)
    upg.set_defaults(func=cmd_upgrade)
    ap = sub.add_parser(
        "audit-prune", help="delete audit entries older than the standard's retention (≥ 183 days)"
    )
    ap.add_argument("--url", default=None, help="default: the configured database")
    ap.set_defaults(func=cmd_audit_prune)
    bk = sub.add_parser("backup", help="consistent copy of the DuckDB file, even while it serves")
    bk.add_argument("--url", default=None, help="default: the configured database")
    bk.add_argument("--to", required=True, metavar="FILE", help="the backup file to write")
    bk.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    bk.set_defaults(func=cmd_backup)
    rs = sub.add_parser("restore", help="replace the DuckDB file with a verified backup")
    rs.add_argument("--url", default=None, help="default: the configured database")
    rs.add_argument("--from", required=True, metavar="FILE", help="a file written by `backup`")
    rs.add_argument("--force", action="store_true", help="replace an existing database")
    rs.set_defaults(func=cmd_restore)
    imp = sub.add_parser(
        "import",
        help="load a file of the bank's own data (CSV, XLSX, Parquet) through a mapping",
        description="Validated, idempotent import: bad rows go to a rejects file, good rows load "
        "in one transaction; the same file twice adds nothing.",
    )
    imp.add_argument("--url", default=None)
    imp.add_argument(
        "--mapping", required=True, help="a shipped mapping (demo, core_banking) or a TOML file"
    )
    imp.add_argument("--table", required=True, help="our table the file fills (e.g. footprints)")
    imp.add_argument("file", help="the CSV (UTF-8, GBK, GB18030), XLSX or Parquet file")
    imp.add_argument("--encoding", default=None, help="override detection: utf-8, gbk, gb18030")
    imp.add_argument("--dry-run", action="store_true", help="check and count; write nothing")
    imp.add_argument("--rejects", default=None, help="rejects file (default: FILE.rejects.csv)")
    imp.add_argument("--lang", default="zh", choices=("zh", "en"), help="language of the reasons")
    imp.add_argument("--user", default="cli", help="recorded in the import batch")
    imp.add_argument(
        "--no-refresh", action="store_true", help="skip the mart refresh (run it at the end)"
    )
    imp.add_argument("--block-size", type=int, default=None, help=argparse.SUPPRESS)  # tests
    imp.set_defaults(func=cmd_import)
    qual = sub.add_parser("quality", help="rows, missing values, newest date, orphans per table")
    qual.add_argument("--url", default=None)
    qual.add_argument("--table", default=None, help="default: every importable table")
    qual.set_defaults(func=cmd_quality)
    exp = sub.add_parser("export", help="write tables in a mapping's layout (one file per table)")
    exp.add_argument("--url", default=None)
    exp.add_argument("--mapping", required=True)
    exp.add_argument("--table", default=None, help="default: every table of the mapping")
    exp.add_argument("--encoding", default="utf-8")
    exp.add_argument("--thousands", action="store_true", help="amounts as 1,234.50")
    exp.add_argument("out", help="folder for the files")
    exp.set_defaults(func=cmd_export)
    _users_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:  # the parser's defaults come from the settings, which may be malformed
        args = parser().parse_args(argv)
    except BadSetting as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.command != "ensure-demo" and args.url is None:
        args.url = database_url()
    try:
        return args.func(args)
    except (DatabaseNotEmpty, BackupRefused) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except DatabaseBusy as exc:
        print(f"error: {exc}.\n{_busy_hint(args)}", file=sys.stderr)
        return EXIT_ERROR
    except (CliError, FootprintError, BadSetting) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except sa.exc.DBAPIError as exc:
        holder = lock_holder(exc)
        if holder is not None:
            print(f"error: {DatabaseBusy(holder)}.\n{_busy_hint(args)}", file=sys.stderr)
            return EXIT_ERROR
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        print(f"error: database {_safe_url(args.url or database_url())}: {first}", file=sys.stderr)
        return EXIT_ERROR
    except sa.exc.SQLAlchemyError as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
