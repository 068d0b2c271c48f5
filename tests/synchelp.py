"""Offices for the sync tests: a city and towns in separate data folders, keys made, enrolled, trusted.

Import as ``from tests.synchelp import ...``."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from congress_desktop.services import deputies, sync
from congress_desktop.services.context import Context
from congress_desktop.services.office import setup_office
from congress_desktop.services.villages import save_village

CITY = ("丹江口市人大常委会", "420381000000")


def dump(ctx: Context) -> str:
    """Every row of every table, as SQL text: equal dumps mean an untouched database."""
    con = sqlite3.connect(ctx.db_path)
    try:
        out = []
        tables = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                             "ORDER BY name").fetchall()
        for name, sql in tables:
            out.append(sql)
            if sql.upper().startswith("CREATE VIRTUAL TABLE"):
                continue  # its shadow tables hold the rows
            rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
            out += sorted(repr(r) for r in rows)
        return "\n".join(out)
    finally:
        con.close()


def make_city(folder: Path) -> Context:
    c = Context.open(folder)
    setup_office(c, *CITY, "city")
    sync.init_keys(c)
    return c


def make_town(folder: Path, name: str, code: str, *, deputies_n: int = 3) -> Context:
    """A small town: one village, a few deputies (ID numbers valid, names unique)."""
    c = Context.open(folder)
    setup_office(c, name, code, "town")
    v = save_village(c, {"name": f"{name[:3]}一村", "code": code[:9] + "201"})
    for i in range(deputies_n):
        deputies.create_deputy(c, {"name": f"{name[:2]}代表{i + 1}", "village_id": v.id, "gender": "男",
                                   "mobile": f"138{int(code[6:9]):03d}{i:05d}"})
    sync.init_keys(c)
    return c


def enrol(city: Context, town: Context, tmp: Path) -> None:
    """The whole ceremony: enrolment file up, fingerprint checked, trust bundle down."""
    tmp.mkdir(parents=True, exist_ok=True)
    f = tmp / f"{town.office.code}.cdenrol"
    info = sync.export_enrolment(town, f)
    sync.enrol_office(city, f, fingerprint=info.fingerprint)
    bundle = tmp / "trust.cdtrust"
    sync.export_trust_bundle(city, bundle)
    sync.import_trust_bundle(town, bundle, fingerprint=sync.own_keys(city).fingerprint)


def copy_package(folder: Path, to: Path) -> Path:
    """The single package file in the stick's sync folder, copied aside (the city removes it)."""
    found = sorted((folder / "人大同步").glob("*.cdsync"))
    assert len(found) == 1, found
    to.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(found[0], to)
    return to


def make_conflict(town: Context, city: Context, tmp: Path) -> tuple[str, sync.ImportReport]:
    """A same-version conflict held back at the city (as after the town restored an old backup and
    edited again): the city's copy of a deputy differs from the town's at the same version. Returns
    the deputy's id and the report of the import that held it back; the town's note is 「本镇备注」,
    the city's 「不同」."""
    from congress_desktop.store.models import Deputy

    sync.export_packages(town, tmp / "s1")
    sync.import_from(city, tmp / "s1")
    d = deputies.query_deputies(town, deputies.DeputyQuery(), 0, 1)[0]
    with city.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE deputy SET note = '不同' WHERE id = ?", (d.id,))
    with town.store.session() as s:
        s.get(Deputy, d.id).note = "本镇备注"  # version 2 at the town
    with city.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE deputy SET version = 2 WHERE id = ?", (d.id,))
    sync.export_packages(town, tmp / "s2")
    return d.id, sync.import_from(city, tmp / "s2")
