"""Thousands of mutated packages thrown at the city's importer: each is refused cleanly (a Chinese
message, the database exactly as it was) or applied whole.

Three kinds of damage: bytes of the file itself (the signature must catch them), bytes of the body
zip resealed with the town's real keys (what a broken or hostile enrolled office could send), and
well-formed zips whose manifest or rows were changed."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from congress_desktop.sync import service as sync
from tests.synchelp import PackageLab as World


def fuzz(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                    database=None)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(tmp_path_factory.mktemp("fuzz"))
    yield w
    w.city.close()
    w.town.close()


def test_the_unmutated_package_applies(world):
    p = world.path()
    p.write_bytes(world.file)
    assert world.check(p) == "applied"


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**9), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**9), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10**9), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 10**9), st.integers(1, 40)),
)


def mutate(data: bytes, ops) -> bytes:
    b = bytearray(data)
    for kind, pos, arg in ops:
        if not b:
            break
        i = pos % len(b)
        if kind == "flip":
            b[i] ^= arg
        elif kind == "cut":
            del b[i:]
        elif kind == "insert":
            b[i:i] = bytes([arg])
        else:
            del b[i:i + arg]
    return bytes(b)


@fuzz(1500)
@given(st.lists(mutation, min_size=1, max_size=3))
def test_mutated_package_files_are_refused_cleanly(world, ops):
    data = mutate(world.file, ops)
    p = world.path()
    p.write_bytes(data)
    status = world.check(p)
    if data != world.file:
        assert status == "refused"


@fuzz(300)
@given(st.lists(mutation, min_size=1, max_size=3))
def test_mutated_body_zips_sealed_with_real_keys_are_refused_or_applied_whole(world, ops):
    world.check(world.reseal(mutate(world.zip, ops)))


json_value = st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.text(max_size=20)
                          | st.floats(allow_nan=False), lambda c: st.lists(c, max_size=3)
                          | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=5)


def rezip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in members.items():
            z.writestr(n, d)
    return buf.getvalue()


def test_changed_manifests_and_rows_are_refused_or_applied_whole(world):
    """Both outcomes are reached: the mutations get past the parser into the apply path."""
    stats: Counter[str] = Counter()

    @fuzz(300)
    @given(st.data())
    def run(data):
        stats[world.check(_changed_package(world, data))] += 1

    run()
    assert stats["refused"] > 50 and stats["applied"] > 5, stats


def _changed_package(world, data):
    members = dict(world.members)
    manifest = json.loads(json.dumps(world.manifest))
    target = data.draw(st.sampled_from(["manifest", "row", "row-fixed-hash", "row-fixed-hash", "row-fixed-hash",
                                        "extra-member"]))
    if target == "manifest":
        keys_ = ["package_id", "sender", "recipient", "seq_from", "seq_to", "tables", "attachments", "format"]
        k = data.draw(st.sampled_from(keys_))
        manifest[k] = data.draw(json_value)
    elif target == "extra-member":
        name = data.draw(st.sampled_from(["data/zz.jsonl", "../x", "attachments/" + "0" * 64, "manifest.json.bak"]))
        members[name] = b"[]\n"
    else:
        t = data.draw(st.sampled_from(manifest["tables"]))
        lines = members[t["file"]].split(b"\n")[:-1]
        i = data.draw(st.integers(0, len(lines) - 1))
        row = json.loads(lines[i])
        j = data.draw(st.integers(0, len(row) - 1))
        row[j] = data.draw(st.one_of(st.text(max_size=20), st.integers(0, 3), json_value))
        lines[i] = json.dumps(row).encode()
        blob = b"\n".join(lines) + b"\n"
        members[t["file"]] = blob
        if target == "row-fixed-hash":  # a consistent manifest: only the row checks stand in the way
            t["sha256"] = hashlib.sha256(blob).hexdigest()
            t["size"] = len(blob)
    members["manifest.json"] = json.dumps(manifest).encode()
    path = world.reseal(rezip(members))
    # the header's package id is new: keep the manifest's in step unless it was the field changed
    if target != "manifest" or data.draw(st.booleans()):
        m = json.loads(members["manifest.json"])
        if isinstance(m, dict) and m.get("package_id") == world.manifest["package_id"]:
            pid = str(uuid.uuid4())
            m["package_id"] = pid
            members["manifest.json"] = json.dumps(m).encode()
            path = world.reseal(rezip(members), package_id=pid)
    return path


# hostile values a broken or hostile enrolled office could sign: each must be refused, never applied
# and never an unexpected error
BAD_TEXT = st.sampled_from(["\ud800", "a\udfffb", "\x00", "名\x07字", "\u202e倒序", "\x1b[31m", "\ufffe", "\x85"])
BAD_TIME = st.sampled_from(["garbage", "", "2026-02-30 10:00:00.000000", "2026-13-01 00:00:00", "2026-01-01T10:00:00",
                            "2026-01-01 25:00:00.000000", "2026-01-01 10:00:00.1234567", "1e9"])
HUGE = st.sampled_from([2**63, -(2**63) - 1, 10**30, 2**64])


@st.composite
def hostile(draw):
    kind = draw(st.sampled_from(["text", "time", "int", "missing", "seq", "lines", "choice"]))
    return kind, draw(BAD_TEXT), draw(BAD_TIME), draw(HUGE), draw(st.integers(0, 10**6))


def _rows_with(world, fn):
    return world.with_rows("deputy", fn)


@fuzz(200)
@given(hostile())
def test_hostile_values_are_refused_and_change_nothing(world, case):
    kind, text, when, huge, pick = case
    from congress_desktop.sync import engine

    t = engine.table_map()["deputy"]
    texts = [c for c, k in zip(t.columns, t.kinds, strict=True) if k == "str" and c not in ("id", "owner_code")
             and not c.endswith("_at") and not c.endswith("_id")]
    ints = ["version", "deleted"]

    def edit(column, value):
        def change(rows, columns):
            rows[pick % len(rows)][columns.index(column)] = value
        return change

    if kind == "text":
        path = _rows_with(world, edit(texts[pick % len(texts)], f"正常{text}内容"))
    elif kind == "time":
        path = _rows_with(world, edit(["created_at", "updated_at"][pick % 2], when))
    elif kind == "int":
        path = _rows_with(world, edit(ints[pick % 2], huge))
    elif kind == "choice":
        path = _rows_with(world, edit(["status", "gender", "levels", "birth_date"][pick % 4], f"无效{pick}"))
    elif kind == "missing":
        required = [c for c in t.columns if c not in ("id", "owner_code", "version", "deleted")
                    and not t.table.c[c].nullable and t.table.c[c].default is None]

        def drop(rows, columns):
            i = columns.index(required[pick % len(required)])
            for r in rows:
                del r[i]
            del columns[i]
        path = _rows_with(world, drop)
    elif kind == "seq":
        path = world.reseal(world.zip, seq_from=1 + pick, seq_to=2**53 - pick)
    else:  # more lines than the manifest says (size and hash consistent: only the reader stops it)
        members = dict(world.members)
        manifest = json.loads(json.dumps(world.manifest))
        entry = next(x for x in manifest["tables"] if x["name"] == "deputy")
        lines = [members[entry["file"]].split(b"\n")[0]] * (entry["rows"] + 50)
        blob = b"\n".join(lines) + b"\n"
        members[entry["file"]] = blob
        entry.update(size=len(blob), sha256=hashlib.sha256(blob).hexdigest())
        path = world.rebuilt(members, manifest)
    assert world.check(path) == "refused"


def test_a_bad_package_beside_the_good_one_on_the_stick_never_stops_it(world, tmp_path):
    stick = tmp_path / "人大同步"
    stick.mkdir()
    good = stick / "pkg-good.cdsync"
    good.write_bytes(world.file)
    world.with_rows("deputy", lambda rows, cols: rows[0].__setitem__(cols.index("created_at"), "garbage")).rename(
        stick / "pkg-bad.cdsync")
    report = sync.import_from(world.city, tmp_path, backup=False)
    assert sorted(o.status for o in report.packages) == ["applied", "refused"]
    world.lists_open()
    world.reset()
