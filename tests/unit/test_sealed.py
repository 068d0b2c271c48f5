"""The sealed-file format (store/sealed.py): chunked AES-256-GCM with a final-chunk flag, the header
as associated data, Argon2id parameters read from a file kept in bounds. Real crypto, real files."""

from __future__ import annotations

import io
import os
import tracemalloc

import pytest

from congress_desktop.backups import sealed

KEY = bytes(range(32))
MAGIC = sealed.BACKUP_MAGIC


def seal_bytes(plain: bytes, key: bytes = KEY, header: dict | None = None) -> bytes:
    out = io.BytesIO()
    h = {"format": sealed.FORMAT, "nonce": sealed.b64(os.urandom(sealed.NONCE_PREFIX))} | (header or {})
    sealed.seal(io.BytesIO(plain), out, MAGIC, h, key)
    return out.getvalue()


def unseal_bytes(data: bytes, key: bytes = KEY) -> bytes:
    f = io.BytesIO(data)
    opened = sealed.read_header(f, MAGIC)
    out = io.BytesIO()
    sealed.unseal(f, opened, key, out)
    return out.getvalue()


SIZES = [0, 1, sealed.CHUNK - 1, sealed.CHUNK, sealed.CHUNK + 1, 2 * sealed.CHUNK + 5]


@pytest.mark.parametrize("size", SIZES)
def test_sealed_data_comes_back_whole_at_every_size_around_a_chunk(size):
    plain = os.urandom(size)
    data = seal_bytes(plain)
    chunks = max(1, -(-size // sealed.CHUNK))
    assert len(data) == len(sealed.header_block(MAGIC, sealed.read_header(io.BytesIO(data), MAGIC).header)) \
        + size + chunks * sealed.TAG
    assert unseal_bytes(data) == plain


@pytest.mark.parametrize("size", [sealed.CHUNK, 2 * sealed.CHUNK + 5])
def test_a_file_cut_at_any_chunk_boundary_is_refused(size):
    data = seal_bytes(os.urandom(size))
    start = len(data) - size - (-(-size // sealed.CHUNK)) * sealed.TAG
    for n in range(0, -(-size // sealed.CHUNK)):
        with pytest.raises(sealed.SealBroken):
            unseal_bytes(data[:start + n * (sealed.CHUNK + sealed.TAG)])


def test_a_wrong_key_a_changed_byte_and_a_changed_header_are_refused():
    data = seal_bytes(b"deputy roster" * 1000, header={"office_code": "420381103000"})
    with pytest.raises(sealed.SealBroken):
        unseal_bytes(data, key=bytes(32))
    flipped = bytearray(data)
    flipped[-40] ^= 0x80
    with pytest.raises(sealed.SealBroken):
        unseal_bytes(bytes(flipped))
    with pytest.raises(sealed.SealBroken):
        unseal_bytes(data.replace(b"420381103000", b"420381104000"))


def test_not_a_sealed_file_is_told_apart():
    for junk in (b"", b"SQLite format 3\x00" + bytes(100), MAGIC + b"\xff\xff\xff\xff", MAGIC + b"\x00\x00\x00\x02{}"):
        with pytest.raises(sealed.SealBroken):
            sealed.read_header(io.BytesIO(junk), MAGIC)


def test_sealing_a_big_file_keeps_only_a_few_chunks_in_memory(tmp_path):
    src, dst, back = tmp_path / "db", tmp_path / "db.sealed", tmp_path / "db.back"
    with open(src, "wb") as f:
        for _ in range(24):
            f.write(os.urandom(sealed.CHUNK))
    header = {"format": sealed.FORMAT, "nonce": sealed.b64(os.urandom(sealed.NONCE_PREFIX))}
    tracemalloc.start()
    try:
        with open(src, "rb") as s, open(dst, "wb") as d:
            sealed.seal(s, d, MAGIC, header, KEY)
        with open(dst, "rb") as s, open(back, "wb") as d:
            sealed.unseal(s, sealed.read_header(s, MAGIC), KEY, d)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 6 * sealed.CHUNK  # 24 MiB went through
    assert back.read_bytes() == src.read_bytes()


def test_kdf_parameters_from_a_file_are_kept_in_bounds():
    good = sealed.DEFAULT_KDF.as_json()
    assert sealed.KdfParams.from_json(good) == sealed.DEFAULT_KDF
    for bad in (good | {"memory_kib": 64 * 1024 * 1024}, good | {"iterations": 10_000}, good | {"name": "scrypt"},
                good | {"lanes": 0}):
        with pytest.raises(ValueError):
            sealed.KdfParams.from_json(bad)


def test_the_verifier_checks_a_passphrase_typed_in_either_unicode_form():
    verifier = sealed.make_verifier("Café 备份口令")  # é as one code point
    assert sealed.verifier_matches("Cafe\u0301 备份口令", verifier)  # e + combining accent
    assert not sealed.verifier_matches("Cafe 备份口令", verifier)
    assert "Café" not in verifier
