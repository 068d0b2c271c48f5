"""Storage on a real SQLite file: migrations, pragmas, identity fields, change log, transactions."""

from __future__ import annotations

import json
import sqlite3

import pytest
from alembic import command
from sqlalchemy import select, text

from congress_desktop.core import paths
from congress_desktop.core.context import Context
from congress_desktop.core.errors import FieldErrors
from congress_desktop.core.store.db import alembic_config, backup_copy, current_revision, head_revision
from congress_desktop.core.store.models import ChangeLog, Deputy
from congress_desktop.deputies import service as deputies

GOOD = {"name": "王建国", "id_number": "420381198001011238", "mobile": "13812345678"}


def test_new_database_is_made_by_upgrade_head_and_models_match_migrations(ctx):
    assert current_revision(ctx.store.engine) == head_revision()
    with ctx.store.engine.begin() as conn:
        command.check(alembic_config(conn))  # raises when models and migrations drifted


def test_pragmas_wal_foreign_keys_busy_timeout(ctx):
    with ctx.store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA page_size")).scalar() == 16384  # a new database: 16 KiB pages


def test_an_existing_database_keeps_its_page_size(tmp_path):
    import sqlite3

    from congress_desktop.core.store.db import make_engine

    path = tmp_path / "old.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")  # made with SQLite's default, 4 KiB
    con.close()
    engine = make_engine(path)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA page_size")).scalar() == 4096
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_foreign_key_is_enforced(ctx):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with ctx.store.session() as s:
            s.add(Deputy(name="无村", village_id="no-such-village"))


def test_records_carry_identity_and_every_change_is_logged(ctx):
    d = deputies.create_deputy(ctx, GOOD)
    assert len(d.id) == 36 and d.version == 1
    d2 = deputies.update_deputy(ctx, d.id, d.as_form() | {"work_unit": "黄家村党支部书记"})
    assert d2.version == 2
    deputies.delete_deputy(ctx, d.id)
    with ctx.store.session() as s:
        row = s.get(Deputy, d.id)
        assert row.deleted is True and row.version == 3  # tombstone, not gone
        assert row.owner_code == "420381103000"
        log = s.scalars(select(ChangeLog).where(ChangeLog.record_id == d.id).order_by(ChangeLog.seq)).all()
    assert [e.action for e in log] == ["insert", "update", "delete"]
    assert json.loads(log[1].changes) == {"work_unit": ["", "黄家村党支部书记"]}
    assert [e.version for e in log] == [1, 2, 3]
    assert deputies.count_deputies(ctx) == 0


def test_a_failed_unit_of_work_leaves_nothing(ctx):
    with pytest.raises(RuntimeError):
        with ctx.store.session() as s:
            s.add(Deputy(name="半条记录"))
            s.flush()
            raise RuntimeError("boom")
    with ctx.store.session() as s:
        assert s.scalar(select(Deputy).limit(1)) is None
        assert s.scalar(select(ChangeLog).limit(1)) is None


def test_invalid_input_is_refused_before_any_write(ctx):
    with pytest.raises(FieldErrors) as e:
        deputies.create_deputy(ctx, GOOD | {"mobile": "1381234"})
    assert "mobile" in e.value.errors and "11 位" in e.value.errors["mobile"]
    assert deputies.count_deputies(ctx) == 0


def test_backup_copy_is_a_consistent_sqlite_file(ctx):
    deputies.create_deputy(ctx, GOOD)
    copy = backup_copy(ctx.db_path, "test")
    con = sqlite3.connect(copy)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("select count(*) from deputy").fetchone()[0] == 1
    finally:
        con.close()


def test_data_folder_from_env_and_override(tmp_path, monkeypatch):
    monkeypatch.setenv("CONGRESS_DATA_DIR", str(tmp_path / "env"))
    assert paths.data_dir() == (tmp_path / "env").resolve()
    assert paths.data_dir(tmp_path / "cli") == (tmp_path / "cli").resolve()
    monkeypatch.delenv("CONGRESS_DATA_DIR")
    assert "congress-desktop" in str(paths.data_dir())


def test_reopening_keeps_office_and_records(ctx, data_dir):
    deputies.create_deputy(ctx, GOOD)
    ctx.close()
    again = Context.open(data_dir)
    try:
        assert again.office.name == "丹江口市六里坪镇人大"
        assert deputies.count_deputies(again) == 1
        assert again.store.migration_backup is None  # already at head: no copy made
    finally:
        again.close()


def test_history_tells_who_changed_what(ctx):
    from congress_desktop.core.history import describe_changes, record_history
    from congress_desktop.deputies.rules import FIELD_LABELS

    d = deputies.create_deputy(ctx, GOOD)
    deputies.set_deputy_status(ctx, d.id, "终止", "2026-01-05", "迁出本镇")
    hist = record_history(ctx, "deputy", d.id)
    assert [h.action_label for h in hist] == ["新建", "修改"]
    assert "状态：“在任”→“终止”" in describe_changes(hist[1], FIELD_LABELS)
    assert hist[1].user == ctx.store.user


def test_a_record_of_another_office_cannot_be_changed_through_any_service(demo_ctx):
    """The flush hook refuses ORM changes of foreign records, also on paths that do not call
    ensure_owned themselves (here: editing a grid received from another office)."""
    from sqlalchemy import update

    from congress_desktop.core.errors import ReadOnlyRecord
    from congress_desktop.core.store.models_grids import Grid
    from congress_desktop.grids import service as grids

    grid = grids.list_grids(demo_ctx)[0]
    with demo_ctx.store.engine.begin() as conn:  # as sync applies received rows: Core, no hook
        conn.execute(update(Grid).where(Grid.id == grid.id).values(owner_code="420381104000"))
    raw = {"village_id": grid.village_id, "code": grid.code, "name": grid.name + "（改）",
           "households": 1, "population": 1}
    with pytest.raises(ReadOnlyRecord):
        grids.save_grid(demo_ctx, raw, grid.id)
    assert grids.list_grids(demo_ctx)[0].name == grid.name


def test_migrations_form_one_line_with_a_single_head():
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several heads {heads}: add a merge revision"


def test_an_old_database_is_backed_up_then_migrated_with_its_records(tmp_path):
    """A database at the first schema (0001) with a deputy in it, opened by this program."""
    from sqlalchemy import create_engine

    path = tmp_path / "old" / "congress.sqlite3"
    path.parent.mkdir()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.execute(text("insert into office (id, uid, name, code, role, demo, created_at) values "
                          "(1, 'u', '某镇人大', '420381103000', 'town', 0, '2026-01-01')"))
        conn.execute(text("insert into deputy (id, owner_code, version, deleted, created_at, updated_at, name, "
                          "gender, ethnicity, birth_date, id_number, political, education, work_unit, mobile, "
                          "phone, levels, term, constituency, group_name, elected_on, status, status_date, "
                          "status_reason, note, name_pinyin, name_initials, search_text) values ('d1', "
                          "'420381103000', 1, 0, '2026-01-01', '2026-01-01', '王建国', '男', '汉族', "
                          "'1980-01-01', '', '', '', '', '', '', 'town', '', '', '', '', '在任', '', '', '', "
                          "'wangjianguo', 'wjg', '王建国')"))
    engine.dispose()
    c = Context.open(path.parent)
    try:
        assert current_revision(c.store.engine) == head_revision()
        backup = c.store.migration_backup
        assert backup is not None and backup.exists()
        con = sqlite3.connect(backup)
        try:
            assert con.execute("select version_num from alembic_version").fetchone()[0] == "0001"
            assert con.execute("select name from deputy").fetchone()[0] == "王建国"
        finally:
            con.close()
        assert [d.name for d in deputies.query_deputies(c, deputies.DeputyQuery(text="王建国"))] == ["王建国"]
    finally:
        c.close()
