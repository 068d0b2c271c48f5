"""检查数据: what ``congress-desktop check`` and the window's 检查数据 find, section by section.

- 数据库: PRAGMA integrity_check of the whole file.
- 数据库结构: the schema revision (a newer program's file is reported, an older one will be upgraded at
  the next open) and every table of the current schema (a dropped table lost its rows).
- 索引: every index of the current schema; a missing one (a kill during the end of a big sync import,
  see store/db.restore_missing_indexes) is rebuilt here and named.
- 附件: every stored file against the hash it is named by, every attachment record against the files.

A new check is a function ``(DbState) -> CheckSection`` added to ``DB_CHECKS``: it runs when the file
passed its integrity check, and its problems make the check fail (exit code 1). Nothing here knows Qt.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from congress_desktop.core import paths
from congress_desktop.core.context import Cancel, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.errors import NEWER_SCHEMA_TEXT, storage_error
from congress_desktop.core.store import backup_files as files

log = logging.getLogger(__name__)

ATTACHMENTS = "attachments"
_SHA = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class CheckSection:
    """One named part of the check. ``problems`` make the check fail; ``repaired`` were found and mended
    now; ``notes`` neither (what was skipped and why). ``data``: the same for scripts (check --json)."""

    key: str                         # stable, for JSON: "schema", "indexes", ...
    title: str                       # 数据库结构
    summary: str                     # one line after the title
    problems: tuple[str, ...] = ()
    repaired: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    data: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return ([f"{self.title}：{self.summary}"] + [f"  {p}" for p in self.problems]
                + [f"  {r}" for r in self.repaired] + [f"  {n}" for n in self.notes])

    def as_json(self) -> dict:
        return {"title": self.title, "ok": self.ok, "summary": self.summary, "problems": list(self.problems),
                "repaired": list(self.repaired), "notes": list(self.notes), **self.data}


@dataclass(frozen=True)
class CheckReport:
    db_path: Path
    db_problems: tuple[str, ...]
    files_checked: int
    rows_checked: int
    bad_files: tuple[str, ...]        # files whose content no longer matches the hash they are named by
    missing_files: tuple[str, ...]    # attachment records whose file is not in the store
    sections: tuple[CheckSection, ...] = ()  # 数据库结构, 索引, and what DB_CHECKS adds

    @property
    def ok(self) -> bool:
        return not (self.db_problems or self.bad_files or self.missing_files) and all(s.ok for s in self.sections)

    def section(self, key: str) -> CheckSection | None:
        return next((s for s in self.sections if s.key == key), None)

    def lines(self) -> list[str]:
        out = [f"数据库：{self.db_path}"]
        if self.db_problems:
            out.append(f"  数据库已损坏：{'；'.join(self.db_problems[:5])}")
        else:
            out.append("  数据库完整性检查通过")
        for s in self.sections:
            out += s.lines()
        out.append(f"附件：检查了 {self.files_checked} 个文件、{self.rows_checked} 条附件记录")
        out += [f"  文件内容与校验值不符（已损坏）：{f}" for f in self.bad_files]
        out += [f"  附件记录找不到文件：{f}" for f in self.missing_files]
        if not (self.bad_files or self.missing_files):
            out.append("  附件检查通过")
        repaired = sum(len(s.repaired) for s in self.sections)
        if self.ok:
            out.append(f"结论：全部正常{f'（已修复 {repaired} 处，见上）' if repaired else ''}")
        else:
            out.append("结论：发现问题，见上")
        return out

    def as_json(self) -> dict:
        return {"ok": self.ok, "db_path": str(self.db_path), "db_problems": list(self.db_problems),
                "files_checked": self.files_checked, "rows_checked": self.rows_checked,
                "bad_files": list(self.bad_files), "missing_files": list(self.missing_files),
                "sections": {s.key: s.as_json() for s in self.sections}}


# ============================================================================ the database's own checks
@dataclass(frozen=True)
class DbState:
    """What the database checks need to know of the file: it passed integrity_check."""

    path: Path
    revision: str                 # "" when the file has no alembic_version
    state: str                    # "current", "older" (upgraded at the next open), "newer", "none"
    unknown: tuple[str, ...]      # the parts of ``revision`` this program does not know
    tables: frozenset[str]
    indexes: frozenset[str]


def read_state(db: Path) -> DbState:
    from congress_desktop.core.store.db import script_heads_fast, unknown_revisions_fast

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = con.execute("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index')").fetchall()
        tables = frozenset(n for t, n in rows if t == "table")
        revision = ""
        if "alembic_version" in tables:
            revision = "+".join(sorted(r[0] for r in con.execute("SELECT version_num FROM alembic_version")))
    finally:
        con.close()
    unknown = tuple(unknown_revisions_fast(revision))
    state = ("none" if not revision else "newer" if unknown
             else "current" if revision == script_heads_fast() else "older")
    return DbState(db, revision, state, unknown, tables, frozenset(n for t, n in rows if t == "index"))


def schema_section(st: DbState) -> CheckSection:
    """The schema revision and every table of the current schema."""
    from congress_desktop.core.store.models import Base

    title = "数据库结构"
    if st.state == "newer":
        from congress_desktop.core.opening import newest_openable_backup

        good = newest_openable_backup(st.path.parent)
        notes = (f"本程序能打开的最新备份：{good.made_label}（{good.reason_label}；{good.counts_label}）{good.path}；"
                 f"暂时不能安装新版本时，可以运行 congress-desktop restore \"{good.path}\" 用它恢复",) if good else \
            ("backups 文件夹里没有本程序能打开的备份",)
        return CheckSection("schema", title, "由更新版本的程序创建",
                            (f"{NEWER_SCHEMA_TEXT}（数据库版本 {'、'.join(st.unknown)}）；本程序不检查它的表和索引",),
                            notes=notes, data={"revision": st.revision, "state": st.state, "missing_tables": []})
    if st.state == "older":
        return CheckSection("schema", title, f"版本较旧（{st.revision}）",
                            notes=("下次打开程序时会先备份、再自动升级；升级前不检查表和索引",),
                            data={"revision": st.revision, "state": st.state, "missing_tables": []})
    missing = sorted(t for t in Base.metadata.tables if t not in st.tables)
    problems = [f"缺少表 {t}（这张表的记录已丢失）" for t in missing]
    if st.state == "none":
        missing.insert(0, "alembic_version")
        problems.insert(0, "缺少表 alembic_version（数据库版本记录），程序无法判断数据库的版本")
    if problems:
        problems.append("数据库已不完整，程序不会打开它：请用备份恢复（congress-desktop restore 备份文件）")
        summary = f"缺少 {len(missing)} 张表"
    else:
        summary = f"完整（{len(Base.metadata.tables)} 张表，数据库版本 {st.revision}）"
    return CheckSection("schema", title, summary, tuple(problems),
                        data={"revision": st.revision, "state": st.state, "missing_tables": missing})


def index_section(st: DbState) -> CheckSection:
    """Every index of the current schema on the tables that are there; missing ones are rebuilt now."""
    from sqlalchemy.exc import SQLAlchemyError

    from congress_desktop.core.store.db import make_engine, rebuild_indexes
    from congress_desktop.core.store.models import Base

    title = "索引"
    if st.state != "current":
        return CheckSection("indexes", title, "没有检查", notes=("数据库版本不是本程序的当前版本，不检查索引",),
                            data={"missing": [], "rebuilt": []})
    expected = [ix for name, table in Base.metadata.tables.items() if name in st.tables for ix in table.indexes]
    missing = [ix for ix in expected if ix.name not in st.indexes]
    if not missing:
        return CheckSection("indexes", title, f"齐全（{len(expected)} 个）", data={"missing": [], "rebuilt": []})
    names = [str(ix.name) for ix in missing]
    engine = make_engine(st.path)
    try:
        rebuilt = rebuild_indexes(engine, missing)
    except SQLAlchemyError as e:
        err = storage_error(e, st.path)
        why = err.message if err else "数据库正被另一个程序使用"
        log.warning("check: %d indexes missing, not rebuilt: %s", len(missing), e)
        return CheckSection("indexes", title, f"缺少 {len(missing)} 个，这次没能重建",
                            notes=(f"缺少的索引：{'、'.join(names)}", f"没能重建：{why}",
                                   "下次打开程序时会自动重建；在此之前数据完整，只是查询较慢"),
                            data={"missing": names, "rebuilt": []})
    finally:
        engine.dispose()
    log.warning("check rebuilt %d missing indexes: %s", len(rebuilt), ", ".join(rebuilt))
    by_name = {str(ix.name): ix.table.name if ix.table is not None else "" for ix in missing}
    return CheckSection("indexes", title, f"缺少 {len(rebuilt)} 个，已重建",
                        repaired=tuple(f"已重建索引 {n}（表 {by_name[n]}）" for n in rebuilt),
                        data={"missing": names, "rebuilt": rebuilt})


def values_section(st: DbState) -> CheckSection:
    """Every stored value against its column's rule (dates, times, vocabularies, control characters)."""
    from congress_desktop.backups.values import MAX_SHOWN, find_bad_values
    from congress_desktop.sync.labels import TABLE_LABELS, field_label

    title = "记录内容"
    if st.state != "current":
        return CheckSection("values", title, "没有检查", notes=("数据库版本不是本程序的当前版本，不检查记录内容",),
                            data={"bad": []})
    bad = find_bad_values(st.path)
    if not bad:
        return CheckSection("values", title, "全部日期、时间、类别和文字都能识别", data={"bad": []})
    problems = []
    for b in bad[:MAX_SHOWN]:
        who = f"“{b.label}”" if b.label else ""
        problems.append(f"{TABLE_LABELS.get(b.table, b.table)}{who}（编号 {b.record_id}，单位 {b.owner}）的"
                        f"“{field_label(b.table, b.column)}”{b.reason}")
    if len(bad) > MAX_SHOWN:
        problems.append(f"……共 {len(bad)} 处")
    office = _office_code(st.path)
    received = {(b.table, b.record_id) for b in bad if b.owner and b.owner != office}
    notes: tuple[str, ...] = ()
    if received:
        notes = (f"其中 {len(received)} 条是收到的其他单位的记录：运行 congress-desktop check --hold（或在“检查数据”的结果中"
                 "点“转为待核查”）把它们转为待核查，原样留存，各列表即可正常打开；对方下次发来新版本时会恢复",)
    return CheckSection("values", title, f"{len(bad)} 处无法识别", tuple(problems), notes=notes,
                        data={"bad": [b.__dict__ for b in bad]})


def _office_code(db: Path) -> str:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        row = con.execute("SELECT code FROM office LIMIT 1").fetchone()
        return row[0] if row else ""
    except sqlite3.Error:
        return ""
    finally:
        con.close()


# Checks of the database's contents, in the order shown. Each gets the file's DbState (it passed
# integrity_check) and returns its section; add a new check by adding its function here.
DB_CHECKS: list[Callable[[DbState], CheckSection]] = [schema_section, index_section, values_section]


# ============================================================================ attachments
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def attachment_rows(db: Path) -> list[tuple[str, str]]:
    """(sha256, description) of every attachment record, deleted ones too (their files are kept)."""
    con = sqlite3.connect(str(db), timeout=10)
    try:
        con.execute("PRAGMA query_only=1")
        if con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='attachment'").fetchone() is None:
            return []
        cols = {r[1] for r in con.execute("PRAGMA table_info(attachment)")}
        name = "file_name" if "file_name" in cols else "sha256"
        return [(sha, f"{fname}（{sha[:12]}…）") for sha, fname in
                con.execute(f"SELECT sha256, {name} FROM attachment")]
    finally:
        con.close()


def check_data(folder: str | Path, *, progress: Progress = no_progress, cancel: Cancel = never_cancel) -> CheckReport:
    """Full integrity_check of the database, then DB_CHECKS (structure, indexes: missing ones rebuilt),
    every attachment file against its hash, every attachment record against the files. Works on a
    damaged database too (it reports it). A read-only folder or a failing disk raises its StorageError."""
    folder = Path(folder)
    db = paths.db_path(folder)
    db_problems = files.integrity_problems(db) if db.exists() else [f"数据库文件不存在：{db}"]
    check_cancel(cancel)
    sections: list[CheckSection] = []
    if not db_problems:
        try:
            state = read_state(db)
            for check in DB_CHECKS:
                check_cancel(cancel)
                sections.append(check(state))
        except sqlite3.Error as e:
            db_problems = [f"无法读取数据库结构：{e}"]
    store = folder / ATTACHMENTS
    found: dict[str, Path] = {}
    bad: list[str] = []
    bad_names: set[str] = set()
    stored = [p for p in store.rglob("*") if p.is_file() and not p.name.startswith(".")] if store.is_dir() else []
    for i, p in enumerate(stored, 1):
        check_cancel(cancel)
        name = p.name.lower()
        if not _SHA.match(name):
            continue  # not a stored attachment (e.g. a note someone put there)
        if _sha256(p) != name:
            bad.append(str(p))
            bad_names.add(name)
        else:
            found[name] = p
        progress(i, len(stored))
    rows: list[tuple[str, str]] = []
    if not db_problems:
        try:
            rows = attachment_rows(db)
        except sqlite3.Error as e:
            db_problems = [f"无法读取附件记录：{e}"]
    missing = sorted({desc for sha, desc in rows if (sha or "").lower() not in found
                      and (sha or "").lower() not in bad_names})
    report = CheckReport(db, tuple(db_problems), len(stored), len(rows), tuple(bad), tuple(missing), tuple(sections))
    log.info("check of %s: %s", folder, "ok" if report.ok else report.lines())
    return report
