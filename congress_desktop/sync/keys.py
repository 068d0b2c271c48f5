"""This office's keys: Ed25519 to sign, X25519 to receive encrypted packages.

Private keys never leave the PC and never go on a stick. They sit in ``<data>/keys/<key_id>.key``
(64 bytes: the Ed25519 seed, then the X25519 private key), wrapped at rest (keystore.py has the bytes):

- Windows: DPAPI, user scope. Only the same Windows user on the same PC can unwrap the file; a copy
  of the data folder, a stolen backup disk or another account gets nothing usable. If DPAPI refuses
  (a temporary profile), the key is wrapped with a passphrase instead, with a warning in the log.
- Linux with a desktop keyring (Secret Service: gnome-keyring, deepin-keyring, KWallet): a random
  wrapping key lives in the user's keyring, unlocked when the user logs in to the desktop.
- Linux without one: a passphrase the office chooses (Argon2id -> AES-256-GCM), asked once per run.

Nothing that unwraps the key is stored in the data folder: a copy of it is useless without the
Windows account, the keyring or the passphrase. None of this stops malware running as the user
while the key is unwrapped; a key that may have leaked is revoked at the city and the office enrols
a new one (see services/sync.py). How a file is protected is read from the file itself
(``protection_label``), never guessed from the platform.

A passphrase comes from, in this order: the caller (the window asks in a dialog before the work
starts), ``use_passphrase_file`` or ``CONGRESS_KEY_PASSPHRASE_FILE`` (scripts, tests), the prompt
the command line registers when it has a terminal (``use_passphrase_prompt``). An unwrapped key is
kept in memory for the rest of the run, so the passphrase is asked once.

Key files of the old scheme (a key-encryption key in ``local.kek`` beside them) still load; at that
load every such file is wrapped again with the scheme above and ``local.kek`` is deleted."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from congress_desktop.core.files import atomic_write
from congress_desktop.sync import keystore
from congress_desktop.sync.keystore import (  # noqa: F401 (re-exported: callers name them keys.X)
    DPAPI_MAGIC,
    KEK_FILE,
    KEK_MAGIC,
    PASS_MAGIC,
    SECRET_MAGIC,
    KeyUnavailable,
    WrongPassphrase,
)

log = logging.getLogger(__name__)

KEY_FOLDER = "keys"
PASSPHRASE_FILE_ENV = "CONGRESS_KEY_PASSPHRASE_FILE"
_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw
_RAW_PRIV = serialization.PrivateFormat.Raw
_NOENC = serialization.NoEncryption()


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
            raise KeyUnavailable("公钥格式错误") from e
        if len(sign) != 32 or len(box) != 32:
            raise KeyUnavailable("公钥长度错误")
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
            raise KeyUnavailable("私钥文件内容错误")
        return cls(Ed25519PrivateKey.from_private_bytes(raw[:32]), X25519PrivateKey.from_private_bytes(raw[32:]))


# ------------------------------------------------------------------ where a passphrase comes from

UNLOCK, CHOOSE = "unlock", "choose"   # the passphrase of an existing key; a new one (asked twice)
_sources: dict[str, object] = {"file": None, "prompt": None}
_PROMPT_TRIES = 3


class PassphraseNeeded(KeyUnavailable):
    """No passphrase could be had (no file named, no terminal, the window did not ask)."""

    code = "key_passphrase_needed"

    def __init__(self, mode: str):
        self.mode = mode
        if mode == CHOOSE:
            text = ("本机没有可用的系统钥匙环，私钥须用口令保护，但没有设定口令：请在终端中运行以设定口令，"
                    f"或用 --key-passphrase-file 指定口令文件（也可设置环境变量 {PASSPHRASE_FILE_ENV}）")
        else:
            text = ("本单位的私钥受口令保护，需要私钥口令：请在终端中运行以输入口令，"
                    f"或用 --key-passphrase-file 指定口令文件（也可设置环境变量 {PASSPHRASE_FILE_ENV}）")
        super().__init__(text)


def use_passphrase_file(path: str | os.PathLike | None) -> None:
    """A file whose first line is the passphrase (the command line's --key-passphrase-file)."""
    _sources["file"] = Path(path) if path else None


def use_passphrase_prompt(prompt: Callable[[str, str], str | None] | None) -> None:
    """``prompt(mode, problem)`` asks a person (mode UNLOCK or CHOOSE; ``problem``: why the last answer
    was refused, or "") and returns the passphrase, None to cancel."""
    _sources["prompt"] = prompt


def passphrase_file() -> Path | None:
    f = _sources["file"] or os.environ.get(PASSPHRASE_FILE_ENV)
    return Path(f) if isinstance(f, (str, os.PathLike)) and f else None


def read_passphrase_file(path: Path) -> str:
    try:
        if os.name == "posix" and path.stat().st_mode & 0o077:
            raise KeyUnavailable(f"口令文件 {path} 其他用户也能读取：请改为只有本人可读（chmod 600 {path}）后再试")
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as e:
        raise KeyUnavailable(f"找不到口令文件 {path}") from e
    except UnicodeDecodeError as e:
        raise KeyUnavailable(f"口令文件 {path} 不是 UTF-8 文本") from e
    except OSError as e:
        raise KeyUnavailable(f"无法读取口令文件 {path}：{e.strerror or e}") from e
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise KeyUnavailable(f"口令文件 {path} 的第一行是空的：请把私钥口令写在第一行")
    return lines[0]


class _Asker:
    """One operation's passphrase: asked at most once for a new key (several files re-wrapped at once
    share it), up to three times at a terminal for an existing one."""

    def __init__(self, given: str | None):
        self.given = given
        self.chosen: str | None = None

    def _one(self, mode: str, problem: str = "") -> tuple[str, bool]:
        if self.given is not None:
            return self.given, False
        f = passphrase_file()
        if f is not None:
            return read_passphrase_file(f), False
        prompt = _sources["prompt"]
        if prompt is None:
            raise PassphraseNeeded(mode)
        pw = prompt(mode, problem)  # type: ignore[operator]
        if pw is None:
            raise KeyUnavailable("没有输入私钥口令，操作已取消")
        return pw, True

    def choose(self) -> str:
        if self.chosen is None:
            problem = ""
            for _ in range(_PROMPT_TRIES):
                pw, asked = self._one(CHOOSE, problem)
                problem = keystore.passphrase_problem(pw) or ""
                if not problem:
                    self.chosen = pw
                    break
                if not asked:
                    raise KeyUnavailable(problem)
            else:
                raise KeyUnavailable("没有设定可用的私钥口令，操作已取消")
        return self.chosen

    def unwrap(self, blob: bytes) -> bytes:
        problem = ""
        for attempt in range(_PROMPT_TRIES):
            pw, asked = self._one(UNLOCK, problem)
            try:
                return keystore.passphrase_unwrap(blob, pw)
            except WrongPassphrase as e:
                if not asked or attempt == _PROMPT_TRIES - 1:
                    raise
                problem = e.message
        raise AssertionError("unreachable")


# ------------------------------------------------------------------ protection at rest

def _keyring_first() -> bool:
    return sys.platform != "win32" and keystore.secret_service_available()


def protect(raw: bytes, key_id: str, *, passphrase: str | None = None, order: list[str] | None = None,
            _asker: _Asker | None = None) -> bytes:
    """Wrap a private key with the first scheme of ``order`` that works here (default:
    keystore.scheme_order for this PC). A scheme that cannot be used is logged as a warning and the
    next one tried; the scheme used is written into the blob, so its label is always the truth."""
    asker = _asker or _Asker(passphrase)
    order = order or keystore.scheme_order(sys.platform, _keyring_first())
    for scheme in order:
        try:
            if scheme == keystore.DPAPI:
                return keystore.dpapi_wrap(raw)
            if scheme == keystore.KEYRING:
                return keystore.keyring_wrap(raw, key_id)
            if scheme == keystore.PASSPHRASE:
                return keystore.passphrase_wrap(raw, asker.choose())
        except keystore.Unavailable as e:
            log.warning("private key %s: %s cannot be used (%s); trying the next way to protect it",
                        key_id, scheme, e)
    raise KeyUnavailable("本机无法保护私钥（Windows 数据保护、系统钥匙环和口令都不可用），未生成密钥")


def unprotect(blob: bytes, folder: Path, *, passphrase: str | None = None, _asker: _Asker | None = None) -> bytes:
    scheme = keystore.scheme_of(blob)
    if scheme == keystore.DPAPI:
        return keystore.dpapi_unwrap(blob)
    if scheme == keystore.KEYRING:
        return keystore.keyring_unwrap(blob)
    if scheme == keystore.PASSPHRASE:
        return (_asker or _Asker(passphrase)).unwrap(blob)
    if scheme == keystore.LEGACY:
        return keystore.legacy_unwrap(blob, folder)
    raise KeyUnavailable("私钥文件格式无法识别，可能已损坏。请重新生成密钥并重新登记")


# ------------------------------------------------------------------ key files, and the run's unwrapped keys

_unwrapped: dict[tuple[str, str], bytes] = {}
_lock = threading.Lock()


def _cache_key(path: Path, blob: bytes) -> tuple[str, str]:
    # the file's content is part of the key: a file swapped during the run is unwrapped afresh
    return str(path.resolve()), hashlib.sha256(blob).hexdigest()


def forget_unwrapped() -> None:
    """Drop every key kept in memory (the next use asks the passphrase again)."""
    with _lock:
        _unwrapped.clear()


def key_folder(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_FOLDER


def key_path(data_dir: Path, kid: str) -> Path:
    return key_folder(data_dir) / f"{kid}.key"


def _write_key_file(path: Path, blob: bytes) -> None:
    # readable by this user only; the rename itself survives a power cut (the folder is synced)
    atomic_write(path, blob, tmp_suffix=".tmp", mode=0o600)


def save_private(data_dir: Path, pair: KeyPair, *, passphrase: str | None = None) -> Path:
    folder = key_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(folder, 0o700)
    kid = pair.public.key_id
    path = key_path(data_dir, kid)
    blob = protect(pair.raw(), kid, passphrase=passphrase)
    _write_key_file(path, blob)
    with _lock:
        _unwrapped[_cache_key(path, blob)] = pair.raw()
    return path


def _read_key_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as e:
        raise KeyUnavailable(f"找不到本单位的私钥文件（{path.name}）。如果更换了电脑或重装了系统，"
                        "请重新生成密钥并重新登记") from e
    except OSError as e:
        raise KeyUnavailable(f"无法读取私钥文件：{e.strerror or e}") from e


def load_private(data_dir: Path, kid: str, *, passphrase: str | None = None) -> KeyPair:
    """The key pair, unwrapped once per run. An old-scheme file is wrapped again on the way."""
    path = key_path(data_dir, kid)
    blob = _read_key_file(path)
    with _lock:
        raw = _unwrapped.get(_cache_key(path, blob))
    if raw is None:
        asker = _Asker(passphrase)
        raw = unprotect(blob, path.parent, _asker=asker)
        if KeyPair.from_raw(raw).public.key_id != kid:
            raise KeyUnavailable("私钥文件与登记的公钥不一致，可能已损坏。请重新生成密钥并重新登记")
        if keystore.scheme_of(blob) == keystore.LEGACY:
            blob = _rewrap_legacy(path.parent, kid, raw, asker)
        with _lock:
            _unwrapped[_cache_key(path, blob)] = raw
    return KeyPair.from_raw(raw)


def _rewrap_legacy(folder: Path, kid: str, raw: bytes, asker: _Asker) -> bytes:
    """Every old-scheme key file in the folder (retired keys too) wrapped with today's scheme, then
    local.kek deleted: after this the data folder holds nothing that unwraps a key."""
    new_blob = protect(raw, kid, _asker=asker)
    _write_key_file(folder / f"{kid}.key", new_blob)
    for other in sorted(folder.glob("*.key")):
        if other.stem == kid:
            continue
        try:
            old = other.read_bytes()
            if keystore.scheme_of(old) != keystore.LEGACY:
                continue
            other_raw = keystore.legacy_unwrap(old, folder)
            _write_key_file(other, protect(other_raw, other.stem, _asker=asker))
        except (OSError, KeyUnavailable) as e:  # unreadable before: it stays as it was, and as useless
            log.warning("old key file %s not re-protected: %s", other.name, e)
    try:
        (folder / KEK_FILE).unlink()
    except FileNotFoundError:
        pass
    log.info("private key %s re-protected (%s); %s deleted", kid, keystore.scheme_of(new_blob), KEK_FILE)
    return new_blob


# ------------------------------------------------------------------ what the window and `keys show` ask

def protection_label(data_dir: Path, kid: str) -> str:
    """How this very key file is protected, read from its first bytes."""
    try:
        with open(key_path(data_dir, kid), "rb") as f:
            head = f.read(32)
    except FileNotFoundError:
        return "找不到私钥文件"
    except OSError as e:
        return f"无法读取私钥文件：{e.strerror or e}"
    return keystore.label_of(head)


def passphrase_need(data_dir: Path, kid: str) -> str | None:
    """What a person must type before this key can be used this run: UNLOCK (its passphrase),
    CHOOSE (a new one: an old-scheme file that will be re-wrapped and no keyring here), or None.
    Cheap: reads the file's first bytes, asks no keyring to unlock."""
    path = key_path(data_dir, kid)
    try:
        blob = path.read_bytes()
    except OSError:
        return None  # the load itself says what is wrong
    with _lock:
        if _cache_key(path, blob) in _unwrapped:
            return None
    if passphrase_file() is not None:
        return None
    scheme = keystore.scheme_of(blob)
    if scheme == keystore.PASSPHRASE:
        return UNLOCK
    if scheme == keystore.LEGACY:
        return new_key_passphrase_need()
    return None


def new_key_passphrase_need() -> str | None:
    """CHOOSE when a new key file here would be protected by a passphrase and none is configured."""
    if passphrase_file() is not None:
        return None
    order = keystore.scheme_order(sys.platform, _keyring_first())
    return CHOOSE if order[0] == keystore.PASSPHRASE else None
