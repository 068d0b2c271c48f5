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


@fuzz(300)
@given(st.data())
def test_changed_manifests_and_rows_are_refused_or_applied_whole(world, data):
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
        lines[i] = json.dumps(row, ensure_ascii=False).encode()
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
    STATS[world.check(path)] += 1


STATS: Counter[str] = Counter()


def test_the_row_fuzz_reached_both_outcomes():
    """Runs after the one above (file order): the mutations got past the parser into the apply path."""
    if not STATS:
        pytest.skip("run together with test_changed_manifests_and_rows_are_refused_or_applied_whole")
    assert STATS["refused"] > 50 and STATS["applied"] > 5, STATS
