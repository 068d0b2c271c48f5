"""The bytes that are signed and hashed never change: packages, receipts and stick backups made by an
earlier version (already on sticks) must still verify. core.files.canonical_json_bytes now makes them;
these are the bytes the hand-written ``json.dumps(..., sort_keys=True, separators=(",", ":"))`` made."""

from __future__ import annotations

import hashlib

from congress_desktop.backups import sealed
from congress_desktop.sync import package

DOC = {"kind": "congress-desktop-receipt", "format": 1, "issuer": "420381000000", "issuer_name": "丹江口市人大常委会",
       "confirmed_seq": 12, "items": [["deputy", "01a2", 3, "only_here", "张三\u3000"]], "ratio": 0.5, "ok": True,
       "none": None}
# written out once with the old code, never recomputed
OLD_BYTES = ('{"confirmed_seq":12,"format":1,"issuer":"420381000000","issuer_name":"丹江口市人大常委会",'
             '"items":[["deputy","01a2",3,"only_here","张三\u3000"]],"kind":"congress-desktop-receipt","none":null,'
             '"ok":true,"ratio":0.5}').encode("utf-8")
OLD_SHA256 = "38b9ef13010e069087615467498a1485b654f88fefcf26f33f1da851a9aae712"


def test_a_signed_document_has_the_same_bytes_as_before():
    assert package.canonical(DOC) == OLD_BYTES
    assert hashlib.sha256(package.canonical(DOC)).hexdigest() == OLD_SHA256


def test_a_package_header_has_the_same_bytes_as_before():
    h = package.Header(package_id="01a25229-2f2e-77c5-8050-f89fc0c77f9e", direction="up", sender="420381103000",
                       sender_name="某某镇", sender_key_id="k1", recipient="420381000000", recipient_key_id="k2",
                       seq_from=1, seq_to=9, records=3, created_at="2026-01-02T03:04:05Z", epoch="", epochs_before=(),
                       prev_package="")
    d = h.as_dict()
    expected = "{" + ",".join(f'"{k}":{_old(d[k])}' for k in sorted(d)) + "}"
    assert h.to_bytes() == expected.encode("utf-8")


def test_a_stick_backup_header_block_has_the_same_bytes_as_before():
    header = {"b": "备份", "a": [1, 2], "c": {"y": None, "x": False}}
    block = sealed.header_block(b"MAGIC", header)
    assert '{"a":[1,2],"b":"备份","c":{"x":false,"y":null}}'.encode() in block


def _old(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_old(x) for x in v) + "]"
    return '"' + str(v) + '"'
