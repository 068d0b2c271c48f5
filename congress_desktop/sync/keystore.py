"""How a private key file is wrapped at rest: the file's first bytes (its magic) name the scheme.

- ``CDKEY-DPAPI1`` + DPAPI output: Windows data protection, user scope (only the same Windows user on
  the same PC can unwrap it).
- ``CDKEY-SECRET1`` + wrap id + nonce + AES-256-GCM: the wrapping key is a random 32-byte secret in the
  desktop keyring (Secret Service over D-Bus: gnome-keyring, deepin-keyring, KWallet), found by the
  wrap id. A copy of the data folder carries nothing that unwraps it.
- ``CDKEY-PASS1`` + Argon2id parameters + salt + nonce + AES-256-GCM: the wrapping key is derived from
  a passphrase the office chose. The parameters travel in the file so stronger ones can come later.
- ``CDKEY-AESGCM1``: the old scheme (the wrapping key in ``local.kek`` beside the key file). Only read:
  keys.py re-wraps such a file at its next load and deletes ``local.kek``.

Everything here is about bytes; keys.py decides which scheme to use and where a passphrase comes from.
A scheme that cannot be used on this PC raises ``Unavailable`` (so the caller may fall back, loudly);
a scheme that is in use but fails to unwrap raises the Chinese ``KeyUnavailable``."""

from __future__ import annotations

import ctypes
import ctypes.wintypes as wintypes
import functools
import logging
import os
import struct
import sys
import unicodedata
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from congress_desktop.core.errors import CongressError

log = logging.getLogger(__name__)

DPAPI_MAGIC = b"CDKEY-DPAPI1"
SECRET_MAGIC = b"CDKEY-SECRET1"
PASS_MAGIC = b"CDKEY-PASS1"
KEK_MAGIC = b"CDKEY-AESGCM1"
KEK_FILE = "local.kek"

DPAPI, KEYRING, PASSPHRASE, LEGACY, UNKNOWN = "dpapi", "keyring", "passphrase", "legacy", "unknown"
LABELS = {
    DPAPI: "Windows 数据保护（DPAPI）：只有本机的本 Windows 用户能解开",
    KEYRING: "系统钥匙环（Secret Service）：只有本机本用户登录桌面后能解开",
    PASSPHRASE: "私钥口令：每次启动程序后第一次用到私钥时输入口令",
    LEGACY: "旧方式（保护密钥与私钥放在同一文件夹）：下次用到私钥时自动改为更安全的方式",
    UNKNOWN: "无法识别：私钥文件可能已损坏",
}

# RFC 9106's second recommended setting (64 MiB, 3 passes, 4 lanes): ~0.1-0.3 s on an office PC.
ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_LANES = 64 * 1024, 3, 4
_PASS_PARAMS = struct.Struct(">III")
_SALT, _NONCE, _WRAP_ID = 16, 12, 16
MIN_PASSPHRASE = 8
KEYRING_UNLOCK_SECONDS = 120
KEYRING_ATTRIBUTES = {"application": "congress-desktop", "purpose": "sync-key-wrap"}


class KeyUnavailable(CongressError):
    """This office's private key cannot be had: missing, damaged, locked, or the passphrase is wrong."""

    code = "keys"


class Unavailable(Exception):
    """This scheme cannot be used on this PC now (not Windows, no keyring, DPAPI refused): fall back."""


# ------------------------------------------------------------------ which scheme protects a file

def scheme_of(blob: bytes) -> str:
    for magic, scheme in ((DPAPI_MAGIC, DPAPI), (SECRET_MAGIC, KEYRING), (PASS_MAGIC, PASSPHRASE),
                          (KEK_MAGIC, LEGACY)):
        if blob.startswith(magic):
            return scheme
    return UNKNOWN


def label_of(blob: bytes) -> str:
    return LABELS[scheme_of(blob)]


def scheme_order(platform: str, keyring_available: bool) -> list[str]:
    """The schemes to try for a new key file, best first. Windows: DPAPI, or a passphrase if DPAPI
    refuses (a temporary or broken profile). Elsewhere: the desktop keyring where one answers, else a
    passphrase. Never a wrapping key stored beside the key."""
    if platform == "win32":
        return [DPAPI, PASSPHRASE]
    return [KEYRING, PASSPHRASE] if keyring_available else [PASSPHRASE]


# ------------------------------------------------------------------ Windows DPAPI (ctypes)

class DATA_BLOB(ctypes.Structure):  # noqa: N801 (the Windows name)
    _fields_ = [("cbData", wintypes.DWORD), ("pbData", ctypes.POINTER(ctypes.c_char))]


def blob_from(data: bytes) -> tuple[DATA_BLOB, ctypes.Array]:
    """A DATA_BLOB over a copy of ``data``; keep the returned buffer alive while the blob is used."""
    buf = ctypes.create_string_buffer(data, len(data))
    return DATA_BLOB(len(data), ctypes.cast(buf, ctypes.POINTER(ctypes.c_char))), buf


def blob_bytes(blob: DATA_BLOB) -> bytes:
    return ctypes.string_at(blob.pbData, blob.cbData) if blob.cbData else b""


@functools.cache
def _dpapi_functions():
    # Our own WinDLL objects: setting argtypes on ctypes.windll's shared ones would change them for
    # every other library in the process.
    crypt32 = ctypes.WinDLL("crypt32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    pblob = ctypes.POINTER(DATA_BLOB)
    protect = crypt32.CryptProtectData
    protect.argtypes = [pblob, wintypes.LPCWSTR, pblob, ctypes.c_void_p, ctypes.c_void_p, wintypes.DWORD, pblob]
    protect.restype = wintypes.BOOL
    unprotect = crypt32.CryptUnprotectData
    unprotect.argtypes = [pblob, ctypes.POINTER(wintypes.LPWSTR), pblob, ctypes.c_void_p, ctypes.c_void_p,
                          wintypes.DWORD, pblob]
    unprotect.restype = wintypes.BOOL
    local_free = kernel32.LocalFree
    local_free.argtypes = [ctypes.c_void_p]
    local_free.restype = ctypes.c_void_p
    return protect, unprotect, local_free


def _dpapi(data: bytes, protect: bool) -> bytes:
    fn_protect, fn_unprotect, local_free = _dpapi_functions()
    blob_in, _keep = blob_from(data)
    blob_out = DATA_BLOB()
    flags = 0x1  # CRYPTPROTECT_UI_FORBIDDEN: never a dialog from a worker thread
    if protect:
        ok = fn_protect(ctypes.byref(blob_in), "congress-desktop", None, None, None, flags, ctypes.byref(blob_out))
    else:
        ok = fn_unprotect(ctypes.byref(blob_in), None, None, None, None, flags, ctypes.byref(blob_out))
    if not ok:
        raise OSError(ctypes.get_last_error(), "DPAPI")  # type: ignore[attr-defined]
    try:
        return blob_bytes(blob_out)
    finally:
        local_free(blob_out.pbData)


def dpapi_wrap(raw: bytes) -> bytes:
    if sys.platform != "win32":
        raise Unavailable("DPAPI exists only on Windows")
    try:
        return DPAPI_MAGIC + _dpapi(raw, True)
    except OSError as e:
        raise Unavailable(f"CryptProtectData failed: {e}") from e


def dpapi_unwrap(blob: bytes) -> bytes:
    if sys.platform != "win32":
        raise KeyUnavailable("私钥由 Windows 数据保护加密，只能在生成它的那台 Windows 电脑上使用。"
                        "请在本机重新生成密钥并重新登记")
    try:
        return _dpapi(blob[len(DPAPI_MAGIC):], False)
    except OSError as e:
        raise KeyUnavailable("本机无法解开私钥：数据文件夹可能是从另一台电脑或另一个 Windows 用户复制来的。"
                        "请在本机重新生成密钥，并把新的登记文件交市人大重新登记") from e


# ------------------------------------------------------------------ desktop keyring (Secret Service)

def _connect():
    try:
        import secretstorage
    except ImportError as e:  # not installed on this platform (Windows builds leave it out)
        raise Unavailable("secretstorage is not installed") from e
    try:
        return secretstorage, secretstorage.dbus_init()
    except Exception as e:  # no session bus, a dead socket, a refused connection: all mean "not here"
        raise Unavailable(f"no D-Bus session: {e}") from e


def secret_service_available() -> bool:
    """A Secret Service answers on the session bus (asks nothing, changes nothing)."""
    try:
        ss, conn = _connect()
    except Unavailable as e:
        log.info("desktop keyring not used: %s", e)
        return False
    try:
        return bool(ss.check_service_availability(conn))
    except Exception as e:
        log.info("desktop keyring not used: %s", e)
        return False
    finally:
        conn.close()


def _wrap_aead(magic_and_id: bytes, kek: bytes, raw: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return magic_and_id + nonce + AESGCM(kek).encrypt(nonce, raw, magic_and_id)


def keyring_wrap(raw: bytes, key_id: str) -> bytes:
    """A new random wrapping key stored in the default collection, read back, then used."""
    ss, conn = _connect()
    wrap_id = os.urandom(_WRAP_ID)
    kek = AESGCM.generate_key(bit_length=256)
    attributes = {**KEYRING_ATTRIBUTES, "wrap_id": wrap_id.hex(), "key_id": key_id}
    try:
        collection = ss.Collection(conn)  # the default one; never create one (that would prompt for a password)
        if collection.is_locked() and collection.unlock(timeout=KEYRING_UNLOCK_SECONDS):
            raise Unavailable("the keyring stayed locked (prompt dismissed)")
        collection.create_item(f"乡镇人大工作台同步私钥保护密钥 {key_id}", attributes, kek,
                               replace=True, content_type="application/octet-stream")
        back = [i.get_secret() for i in collection.search_items(attributes)]
        if back != [kek]:
            raise Unavailable("the keyring did not give the stored secret back")
    except Unavailable:
        raise
    except Exception as e:  # SecretStorageException, TimeoutError, a D-Bus error: the keyring is no use now
        raise Unavailable(f"desktop keyring refused: {e}") from e
    finally:
        conn.close()
    return _wrap_aead(SECRET_MAGIC + wrap_id, kek, raw)


_KEYRING_GONE = ("私钥由系统钥匙环保护，但现在连不上系统钥匙环（Secret Service）。请在本机以本人账户登录桌面后再试；"
                 "如果数据文件夹是从另一台电脑或另一个用户复制来的，请在本机重新生成密钥并重新登记")


def keyring_unwrap(blob: bytes) -> bytes:
    head = len(SECRET_MAGIC) + _WRAP_ID
    if len(blob) < head + _NONCE + 16:
        raise KeyUnavailable("私钥文件已损坏（内容不完整）。请重新生成密钥并重新登记")
    wrap_id, nonce, sealed = blob[len(SECRET_MAGIC):head], blob[head:head + _NONCE], blob[head + _NONCE:]
    try:
        ss, conn = _connect()
    except Unavailable as e:
        raise KeyUnavailable(_KEYRING_GONE) from e
    try:
        if not ss.check_service_availability(conn):
            raise KeyUnavailable(_KEYRING_GONE)
        kek = None
        for item in ss.search_items(conn, {**KEYRING_ATTRIBUTES, "wrap_id": wrap_id.hex()}):
            if item.is_locked() and item.unlock(timeout=KEYRING_UNLOCK_SECONDS):
                raise KeyUnavailable("系统钥匙环没有解锁（解锁窗口被关闭），无法使用私钥。请重试并在弹出的窗口中解锁钥匙环")
            kek = item.get_secret()
            break
    except CongressError:
        raise
    except Exception as e:
        raise KeyUnavailable(_KEYRING_GONE) from e
    finally:
        conn.close()
    if kek is None:
        raise KeyUnavailable("系统钥匙环中找不到保护本单位私钥的密钥：钥匙环可能被清除过，或数据文件夹是从另一台电脑、"
                        "另一个用户复制来的。请在本机重新生成密钥并重新登记")
    try:
        return AESGCM(kek).decrypt(nonce, sealed, blob[:head])
    except (InvalidTag, ValueError) as e:
        raise KeyUnavailable("私钥文件与系统钥匙环中的密钥不匹配，可能已损坏。请重新生成密钥并重新登记") from e


# ------------------------------------------------------------------ passphrase (Argon2id -> AES-256-GCM)

def passphrase_problem(passphrase: str) -> str | None:
    """Why a passphrase chosen for a new key cannot be used (None: it can)."""
    if not passphrase or not passphrase.strip():
        return "请输入私钥口令"
    if len(passphrase) < MIN_PASSPHRASE:
        return f"私钥口令至少要 {MIN_PASSPHRASE} 个字符"
    if len(passphrase) > 1024:
        return "私钥口令太长（最多 1024 个字符）"
    if any(unicodedata.category(ch) == "Cc" for ch in passphrase):
        return "私钥口令不能含控制字符"
    return None


def _derive(passphrase: str, salt: bytes, memory_kib: int, iterations: int, lanes: int) -> bytes:
    # NFC: the same passphrase typed through another input method must give the same key
    return Argon2id(salt=salt, length=32, iterations=iterations, lanes=lanes, memory_cost=memory_kib).derive(
        unicodedata.normalize("NFC", passphrase).encode("utf-8"))


def passphrase_wrap(raw: bytes, passphrase: str) -> bytes:
    salt = os.urandom(_SALT)
    head = PASS_MAGIC + _PASS_PARAMS.pack(ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_LANES) + salt
    return _wrap_aead(head, _derive(passphrase, salt, ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_LANES), raw)


class WrongPassphrase(KeyUnavailable):
    code = "key_passphrase_wrong"


def passphrase_unwrap(blob: bytes, passphrase: str) -> bytes:
    p = len(PASS_MAGIC)
    head = p + _PASS_PARAMS.size + _SALT
    if len(blob) < head + _NONCE + 16:
        raise KeyUnavailable("私钥文件已损坏（内容不完整）。请重新生成密钥并重新登记")
    memory_kib, iterations, lanes = _PASS_PARAMS.unpack(blob[p:p + _PASS_PARAMS.size])
    # bounds: a damaged header must not ask for terabytes of memory or hours of work
    if not (8 * lanes <= memory_kib <= 4 * 1024 * 1024 and 1 <= iterations <= 64 and 1 <= lanes <= 64):
        raise KeyUnavailable("私钥文件已损坏（保护参数不对）。请重新生成密钥并重新登记")
    salt = blob[p + _PASS_PARAMS.size:head]
    key = _derive(passphrase, salt, memory_kib, iterations, lanes)
    try:
        return AESGCM(key).decrypt(blob[head:head + _NONCE], blob[head + _NONCE:], blob[:head])
    except InvalidTag as e:
        raise WrongPassphrase("私钥口令不对（也可能是私钥文件已损坏）。口令区分大小写；忘记口令时只能重新生成密钥并重新登记") from e


# ------------------------------------------------------------------ the old scheme (read only)

def legacy_unwrap(blob: bytes, folder: Path) -> bytes:
    path = Path(folder) / KEK_FILE
    try:
        kek = path.read_bytes()
    except FileNotFoundError as e:
        raise KeyUnavailable(f"找不到密钥保护文件 {path}：数据文件夹可能不完整。请重新生成密钥并重新登记") from e
    except OSError as e:
        raise KeyUnavailable(f"无法读取密钥保护文件 {path}：{e.strerror or e}") from e
    if len(kek) != 32:
        raise KeyUnavailable(f"密钥保护文件 {path} 已损坏。请重新生成密钥并重新登记")
    rest = blob[len(KEK_MAGIC):]
    try:
        return AESGCM(kek).decrypt(rest[:_NONCE], rest[_NONCE:], KEK_MAGIC)
    except (InvalidTag, ValueError) as e:
        raise KeyUnavailable("私钥文件与密钥保护文件不匹配，可能已损坏。请重新生成密钥并重新登记") from e
