"""This office's keys: Ed25519 to sign, X25519 to receive encrypted packages.

Private keys never leave the PC and never go on a stick. They sit in ``<data>/keys/<key_id>.key``
(64 bytes: the Ed25519 seed, then the X25519 private key), protected at rest:

- On Windows with DPAPI (``CryptProtectData``, user scope, through ctypes): only the same Windows user
  on the same PC can unwrap the file. A copy of the data folder taken to another PC, a stolen backup
  disk or another user account gets nothing usable. Any program that runs as that user on that PC
  can unwrap it, exactly as it can read the database itself: DPAPI does not protect against malware
  running in the user's session, and neither does anything else here.
- Elsewhere (Linux, or if DPAPI fails): AES-256-GCM under a 32-byte key-encryption key in
  ``<data>/keys/local.kek``, readable only by the user (mode 0600). This keeps the private key out of
  the database and its backups, but anyone who can read the user's files (root, the user's own
  programs, a copy of the whole data folder) can read both files. Treat the data folder as secret.

Either way the signing key proves "this package came from the PC that enrolled"; a key that may have
leaked is revoked at the city and the office enrols a new one (see services/sync.py)."""

from __future__ import annotations

import ctypes
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import CongressError

KEY_FOLDER = "keys"
KEK_FILE = "local.kek"
DPAPI_MAGIC = b"CDKEY-DPAPI1"
KEK_MAGIC = b"CDKEY-AESGCM1"
_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw
_RAW_PRIV = serialization.PrivateFormat.Raw
_NOENC = serialization.NoEncryption()


class KeyError_(CongressError):  # noqa: N801 (a CongressError about keys; KeyError is a builtin)
    code = "keys"


# ------------------------------------------------------------------ identity of a public key pair

def key_id(sign_public: bytes) -> str:
    """16 hex digits naming a key pair in package headers."""
    return hashlib.sha256(b"congress-desktop/key-id/v1\0" + sign_public).hexdigest()[:16]


def fingerprint(code: str, sign_public: bytes, box_public: bytes) -> str:
    """What two people compare by phone or on the stamped form: 8 groups of 4 digits (~106 bits).

    Digits, not hex: easy to read aloud in Chinese and to write by hand."""
    h = hashlib.sha256(b"congress-desktop/fingerprint/v1\0" + code.encode("ascii") + b"\0"
                       + sign_public + box_public).digest()
    n = int.from_bytes(h[:16], "big") % 10**32
    s = f"{n:032d}"
    return " ".join(s[i:i + 4] for i in range(0, 32, 4))


def normalise_fingerprint(text: str) -> str:
    digits = "".join(ch for ch in str(text) if ch.isdigit())
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


@dataclass(frozen=True)
class PublicKeys:
    sign: bytes  # Ed25519, 32 bytes
    box: bytes   # X25519, 32 bytes

    @property
    def key_id(self) -> str:
        return key_id(self.sign)

    def fingerprint(self, code: str) -> str:
        return fingerprint(code, self.sign, self.box)

    @classmethod
    def from_hex(cls, sign_hex: str, box_hex: str) -> PublicKeys:
        try:
            sign, box = bytes.fromhex(sign_hex), bytes.fromhex(box_hex)
        except (ValueError, TypeError) as e:
            raise KeyError_("公钥格式错误") from e
        if len(sign) != 32 or len(box) != 32:
            raise KeyError_("公钥长度错误")
        return cls(sign, box)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.sign).verify(signature, message)
            return True
        except (InvalidSignature, ValueError):
            return False

    def box_key(self) -> X25519PublicKey:
        return X25519PublicKey.from_public_bytes(self.box)


@dataclass(frozen=True)
class KeyPair:
    sign_private: Ed25519PrivateKey
    box_private: X25519PrivateKey

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @property
    def public(self) -> PublicKeys:
        return PublicKeys(self.sign_private.public_key().public_bytes(_RAW, _RAW_PUB),
                          self.box_private.public_key().public_bytes(_RAW, _RAW_PUB))

    def sign(self, message: bytes) -> bytes:
        return self.sign_private.sign(message)

    def raw(self) -> bytes:
        return (self.sign_private.private_bytes(_RAW, _RAW_PRIV, _NOENC)
                + self.box_private.private_bytes(_RAW, _RAW_PRIV, _NOENC))

    @classmethod
    def from_raw(cls, raw: bytes) -> KeyPair:
        if len(raw) != 64:
            raise KeyError_("私钥文件内容错误")
        return cls(Ed25519PrivateKey.from_private_bytes(raw[:32]), X25519PrivateKey.from_private_bytes(raw[32:]))


# ------------------------------------------------------------------ protection at rest

class _Blob(ctypes.Structure):
    _fields_ = [("cbData", ctypes.c_uint32), ("pbData", ctypes.POINTER(ctypes.c_char))]


def _dpapi_available() -> bool:
    return sys.platform == "win32" and hasattr(ctypes, "windll")


def _dpapi(data: bytes, protect: bool) -> bytes:
    crypt32 = ctypes.windll.crypt32  # type: ignore[attr-defined]
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    buf = ctypes.create_string_buffer(data, len(data))
    blob_in = _Blob(len(data), ctypes.cast(buf, ctypes.POINTER(ctypes.c_char)))
    blob_out = _Blob()
    flags = 0x1  # CRYPTPROTECT_UI_FORBIDDEN
    fn = crypt32.CryptProtectData if protect else crypt32.CryptUnprotectData
    ok = fn(ctypes.byref(blob_in), "congress-desktop" if protect else None, None, None, None, flags,
            ctypes.byref(blob_out))
    if not ok:
        raise OSError(ctypes.GetLastError(), "DPAPI failed")  # type: ignore[attr-defined]
    try:
        return ctypes.string_at(blob_out.pbData, blob_out.cbData)
    finally:
        kernel32.LocalFree(blob_out.pbData)


def _kek(folder: Path, create: bool) -> bytes:
    path = folder / KEK_FILE
    if path.exists():
        data = path.read_bytes()
        if len(data) != 32:
            raise KeyError_(f"密钥保护文件 {path} 已损坏")
        return data
    if not create:
        raise KeyError_(f"找不到密钥保护文件 {path}：数据文件夹可能不完整。请重新生成密钥并重新登记")
    data = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return data


def protect(raw: bytes, folder: Path) -> bytes:
    if _dpapi_available():
        try:
            return DPAPI_MAGIC + _dpapi(raw, True)
        except OSError:
            pass  # fall back to the key file, as on Linux
    nonce = os.urandom(12)
    return KEK_MAGIC + nonce + AESGCM(_kek(folder, True)).encrypt(nonce, raw, KEK_MAGIC)


def unprotect(blob: bytes, folder: Path) -> bytes:
    if blob.startswith(DPAPI_MAGIC):
        if not _dpapi_available():
            raise KeyError_("私钥由 Windows 加密保护，只能在生成它的电脑上使用。请在本机重新生成密钥并重新登记")
        try:
            return _dpapi(blob[len(DPAPI_MAGIC):], False)
        except OSError as e:
            raise KeyError_("本机无法解开私钥：数据文件夹可能是从另一台电脑或另一个 Windows 用户复制来的。"
                            "请在本机重新生成密钥，并把新的登记文件交市人大重新登记") from e
    if blob.startswith(KEK_MAGIC):
        rest = blob[len(KEK_MAGIC):]
        try:
            return AESGCM(_kek(folder, False)).decrypt(rest[:12], rest[12:], KEK_MAGIC)
        except InvalidTag as e:
            raise KeyError_("私钥文件与密钥保护文件不匹配，可能已损坏。请重新生成密钥并重新登记") from e
    raise KeyError_("私钥文件格式无法识别，可能已损坏")


def key_folder(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_FOLDER


def save_private(data_dir: Path, pair: KeyPair) -> Path:
    folder = key_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(folder, 0o700)
    path = folder / f"{pair.public.key_id}.key"
    blob = protect(pair.raw(), folder)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def load_private(data_dir: Path, kid: str) -> KeyPair:
    path = key_folder(data_dir) / f"{kid}.key"
    try:
        blob = path.read_bytes()
    except FileNotFoundError as e:
        raise KeyError_(f"找不到本单位的私钥文件（{path.name}）。如果更换了电脑或重装了系统，"
                        "请重新生成密钥并重新登记") from e
    except OSError as e:
        raise KeyError_(f"无法读取私钥文件：{e.strerror or e}") from e
    pair = KeyPair.from_raw(unprotect(blob, path.parent))
    if pair.public.key_id != kid:
        raise KeyError_("私钥文件与登记的公钥不一致，可能已损坏。请重新生成密钥并重新登记")
    return pair
