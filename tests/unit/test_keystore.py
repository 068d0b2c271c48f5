"""The pure parts of key protection, on any platform: which scheme a file's bytes name and its label,
the order schemes are tried in, the passphrase rules and wrap, and the DATA_BLOB that carries bytes
to and from DPAPI (built and read back with ctypes here; DPAPI itself needs Windows)."""

from __future__ import annotations

import ctypes
import os
import struct
import unicodedata

import pytest

from congress_desktop.sync import keystore
from congress_desktop.sync.keystore import (
    DPAPI,
    DPAPI_MAGIC,
    KEK_MAGIC,
    KEYRING,
    LEGACY,
    PASS_MAGIC,
    PASSPHRASE,
    SECRET_MAGIC,
    UNKNOWN,
)


@pytest.mark.parametrize("blob, scheme", [
    (DPAPI_MAGIC + b"\x01\x00\x00\x00\xd0\x8c\x9d\xdf", DPAPI),
    (SECRET_MAGIC + os.urandom(40), KEYRING),
    (PASS_MAGIC + os.urandom(40), PASSPHRASE),
    (KEK_MAGIC + os.urandom(40), LEGACY),
    (b"CDKEY-", UNKNOWN),
    (b"", UNKNOWN),
    (os.urandom(64), UNKNOWN),
])
def test_the_scheme_and_its_label_come_from_the_files_first_bytes(blob, scheme):
    assert keystore.scheme_of(blob) == scheme
    assert keystore.label_of(blob) == keystore.LABELS[scheme]


def test_labels_say_what_protects_the_key_in_chinese():
    assert "DPAPI" in keystore.LABELS[DPAPI] and "钥匙环" in keystore.LABELS[KEYRING]
    assert "口令" in keystore.LABELS[PASSPHRASE] and "旧方式" in keystore.LABELS[LEGACY]
    assert len(set(keystore.LABELS.values())) == len(keystore.LABELS)


def test_no_magic_is_a_prefix_of_another():
    magics = [DPAPI_MAGIC, SECRET_MAGIC, PASS_MAGIC, KEK_MAGIC]
    assert not any(a != b and b.startswith(a) for a in magics for b in magics)


@pytest.mark.parametrize("platform, keyring, order", [
    ("win32", False, [DPAPI, PASSPHRASE]),
    ("win32", True, [DPAPI, PASSPHRASE]),
    ("linux", True, [KEYRING, PASSPHRASE]),
    ("linux", False, [PASSPHRASE]),
    ("darwin", False, [PASSPHRASE]),
])
def test_schemes_are_tried_best_first_and_never_a_key_beside_the_key(platform, keyring, order):
    assert keystore.scheme_order(platform, keyring) == order
    assert LEGACY not in keystore.scheme_order(platform, keyring)


def test_dpapi_refuses_to_wrap_off_windows_so_the_caller_falls_back():
    if os.name == "nt":
        pytest.skip("on Windows DPAPI is there")
    with pytest.raises(keystore.Unavailable):
        keystore.dpapi_wrap(b"k" * 64)
    with pytest.raises(keystore.KeyUnavailable, match="只能在生成它的那台 Windows 电脑上使用"):
        keystore.dpapi_unwrap(DPAPI_MAGIC + b"\x01\x02")


@pytest.mark.parametrize("data", [b"", b"\x00", bytes(range(256)) * 3, b"\x00" * 64])
def test_data_blob_carries_bytes_with_nuls_both_ways(data):
    blob, buf = keystore.blob_from(data)
    assert blob.cbData == len(data)
    assert keystore.blob_bytes(blob) == data
    # the output side: DPAPI fills pbData/cbData with memory of its own; read back the same way
    out = keystore.DATA_BLOB()
    out.cbData, out.pbData = blob.cbData, blob.pbData
    assert keystore.blob_bytes(out) == data
    assert keystore.blob_bytes(keystore.DATA_BLOB()) == b""


@pytest.mark.skipif(os.name != "posix", reason="libc's malloc/free stand in for LocalAlloc/LocalFree")
def test_an_output_blob_pointer_is_freed_through_a_void_pointer_argument():
    """LocalFree is declared ``argtypes=[c_void_p]`` and given ``blob.pbData`` (a POINTER(c_char)):
    the same conversion with libc's free, declared the same way."""
    libc = ctypes.CDLL(None)
    libc.malloc.argtypes, libc.malloc.restype = [ctypes.c_size_t], ctypes.c_void_p
    libc.free.argtypes, libc.free.restype = [ctypes.c_void_p], None
    out = keystore.DATA_BLOB()
    out.cbData = 5
    out.pbData = ctypes.cast(libc.malloc(5), ctypes.POINTER(ctypes.c_char))
    ctypes.memmove(out.pbData, b"hello", 5)
    assert keystore.blob_bytes(out) == b"hello"
    libc.free(out.pbData)


@pytest.mark.parametrize("pw, problem", [
    ("", "请输入"), ("        ", "请输入"), ("1234567", "至少要 8 个字符"), ("a" * 1025, "太长"),
    ("密码\n换行的口令", "控制字符"),
])
def test_a_passphrase_for_a_new_key_must_be_usable(pw, problem):
    assert problem in keystore.passphrase_problem(pw)


@pytest.mark.parametrize("pw", ["12345678", "人大工作台的口令", "correct horse battery staple", "a" * 1024])
def test_good_passphrases_pass(pw):
    assert keystore.passphrase_problem(pw) is None


def test_passphrase_wrap_round_trips_and_a_wrong_one_is_refused():
    raw = os.urandom(64)
    blob = keystore.passphrase_wrap(raw, "六里坪镇人大口令")
    assert blob.startswith(PASS_MAGIC) and raw not in blob
    m, t, p = struct.unpack(">III", blob[len(PASS_MAGIC):len(PASS_MAGIC) + 12])
    assert (m, t, p) == (64 * 1024, 3, 4)
    assert keystore.passphrase_unwrap(blob, "六里坪镇人大口令") == raw
    with pytest.raises(keystore.WrongPassphrase, match="私钥口令不对"):
        keystore.passphrase_unwrap(blob, "六里坪镇人大口令 ")
    # the same passphrase typed in another Unicode form (NFD) unwraps too
    accented = "Café-口令-Ωmega"
    blob2 = keystore.passphrase_wrap(raw, unicodedata.normalize("NFC", accented))
    assert keystore.passphrase_unwrap(blob2, unicodedata.normalize("NFD", accented)) == raw


def test_a_damaged_passphrase_header_is_refused_before_any_work():
    blob = bytearray(keystore.passphrase_wrap(os.urandom(64), "足够长的口令啊"))
    blob[len(PASS_MAGIC):len(PASS_MAGIC) + 4] = struct.pack(">I", 2**31)  # 2 TiB of memory asked for
    with pytest.raises(keystore.KeyUnavailable, match="保护参数不对"):
        keystore.passphrase_unwrap(bytes(blob), "足够长的口令啊")
    with pytest.raises(keystore.KeyUnavailable, match="不完整"):
        keystore.passphrase_unwrap(PASS_MAGIC + b"\x00" * 10, "足够长的口令啊")
    good = keystore.passphrase_wrap(os.urandom(64), "足够长的口令啊")
    tampered = good[:-1] + bytes([good[-1] ^ 1])
    with pytest.raises(keystore.WrongPassphrase):
        keystore.passphrase_unwrap(tampered, "足够长的口令啊")


def test_a_short_keyring_file_is_refused_without_asking_the_keyring():
    with pytest.raises(keystore.KeyUnavailable, match="不完整"):
        keystore.keyring_unwrap(SECRET_MAGIC + b"\x00" * 20)
