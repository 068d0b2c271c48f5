"""Offices for the sync tests: a city and towns in separate data folders, keys made, enrolled, trusted.

Import as ``from tests.synchelp import ...``."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import uuid
import zipfile
from pathlib import Path

from congress_desktop.core.context import Context
from congress_desktop.core.office import setup_office
from congress_desktop.deputies import service as deputies
from congress_desktop.places.villages import save_village
from congress_desktop.sync import keys, package
from congress_desktop.sync import service as sync
from congress_desktop.sync.package import Header, seal

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
    from congress_desktop.core.store.models import Deputy

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


class PackageLab:
    """A city and a small town, built once for a module; the city is reset after an applied package.

    Packages are taken apart and sealed again with the town's real keys: what a broken or hostile
    enrolled office could send."""

    def __init__(self, root: Path):
        self.root = root
        self.city = make_city(root / "city")
        self.town = make_town(root / "town", "丹江口市浪河镇人大", "420381105000", deputies_n=2)
        enrol(self.city, self.town, root / "papers")
        sync.export_packages(self.town, root / "stick")
        self.file = copy_package(root / "stick", root / "orig.cdsync").read_bytes()
        self.header = package.read_header(root / "orig.cdsync")
        info = sync.own_keys(self.town)
        self.pair = keys.load_private(self.town.data_dir, info.key_id)
        city_info = sync.own_keys(self.city)
        city_pair = keys.load_private(self.city.data_dir, city_info.key_id)
        self.city_keys = city_pair.public
        body = package.open_body(root / "orig.cdsync", self.header, city_pair)
        self.zip = body.read()
        with zipfile.ZipFile(io.BytesIO(self.zip)) as z:
            self.members = {n: z.read(n) for n in z.namelist()}
        self.manifest = json.loads(self.members["manifest.json"])
        self.pristine = root / "pristine.sqlite3"
        self._copy(self.city.db_path, self.pristine)
        self.clean = dump(self.city)
        self.clean_files = self.files()
        self.n = 0

    def files(self) -> bytes:
        """The database's bytes on disk (file and WAL): equal bytes, equal data; a cheap first check."""
        db = self.city.db_path
        wal = db.with_name(db.name + "-wal")
        return hashlib.sha256(db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")).digest()

    def unchanged(self) -> bool:
        return self.files() == self.clean_files or dump(self.city) == self.clean

    @staticmethod
    def _copy(src: Path, dst: Path) -> None:
        a, b = sqlite3.connect(src), sqlite3.connect(dst)
        try:
            a.backup(b)
        finally:
            a.close()
            b.close()

    def reset(self) -> None:
        self.city.store.engine.dispose()
        self._copy(self.pristine, self.city.db_path)
        assert dump(self.city) == self.clean
        self.clean_files = self.files()

    def path(self) -> Path:
        self.n += 1
        p = self.root / "fuzz" / f"{self.n}.cdsync"
        p.parent.mkdir(exist_ok=True)
        return p

    def reseal(self, body: bytes, **changes) -> Path:
        h = Header(**{**self.header.__dict__, "package_id": str(uuid.uuid4()), **changes})
        p = self.path()
        with open(p, "wb") as f:
            seal(f, h, io.BytesIO(body), self.pair, self.city_keys)
        return p

    def check(self, path: Path) -> str:
        """Import and check the one rule: refused with the database untouched, or applied whole."""
        out = sync.import_from(self.city, path, backup=False).packages
        assert len(out) == 1
        o = out[0]
        assert o.kind != "internal", o  # never an error nobody foresaw
        if o.status == "refused":
            assert o.message and any("\u4e00" <= ch <= "\u9fff" for ch in o.message)
            assert self.unchanged(), o
        elif o.status == "applied":
            assert o.applied + o.unchanged + o.older + o.quarantined == o.records
            self._assert_whole(o)
            self.lists_open()
            self.reset()
        else:
            assert self.unchanged(), o
        return o.status

    def lists_open(self) -> None:
        """Every list the city shows still opens (a bad value once made them fail for all towns)."""
        from congress_desktop.visits import opinions
        from congress_desktop.visits import service as visits

        c = self.city
        deputies.query_deputies(c, deputies.DeputyQuery(), 0, None)
        visits.query_visits(c, visits.VisitQuery(), 0, None)
        opinions.query_opinions(c, opinions.OpinionQuery(), 0, None)
        sync.list_towns(c)
        sync.list_quarantine(c)

    def _assert_whole(self, o) -> None:
        con = sqlite3.connect(self.city.db_path)
        try:
            for table, n in o.tables.items():
                got = con.execute(f'SELECT count(*) FROM "{table}" WHERE owner_code = ?', (o.sender,)).fetchone()[0]
                assert got >= n
        finally:
            con.close()

    def rebuilt(self, members: dict[str, bytes], manifest: dict, **header) -> Path:
        """A package of these members and manifest (its identity made new and consistent), sealed."""
        pid = str(uuid.uuid4())
        manifest = json.loads(json.dumps(manifest)) | {"package_id": pid}
        members = dict(members) | {"manifest.json": json.dumps(manifest, ensure_ascii=False).encode()}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members.items():
                z.writestr(name, data)
        records = sum(t["rows"] for t in manifest["tables"])
        return self.reseal(buf.getvalue(), package_id=pid, records=records, **header)

    def with_rows(self, table: str, change, **header) -> Path:
        """The town's package again, the rows of ``table`` changed: ``change(rows, columns)`` edits the
        list of rows (lists in manifest column order) and the column list in place; the manifest's
        counts, sizes and hashes follow, so only the value checks stand in the way."""
        manifest = json.loads(json.dumps(self.manifest))
        entry = next(t for t in manifest["tables"] if t["name"] == table)
        members = dict(self.members)
        rows = [json.loads(line) for line in members[entry["file"]].split(b"\n")[:-1]]
        change(rows, entry["columns"])
        blob = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
        members[entry["file"]] = blob
        entry.update(rows=len(rows), size=len(blob), sha256=hashlib.sha256(blob).hexdigest())
        return self.rebuilt(members, manifest, **header)
