"""Key files for the key tests. Import as ``from tests.keyhelp import ...``."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from congress_desktop.sync import keys


def write_old_scheme(data_dir: Path, pair: keys.KeyPair) -> Path:
    """A key file as the previous version wrote it: AES-GCM under local.kek, beside it."""
    folder = keys.key_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    kek_path = folder / keys.KEK_FILE
    if not kek_path.exists():
        kek_path.write_bytes(os.urandom(32))
        kek_path.chmod(0o600)
    nonce = os.urandom(12)
    blob = keys.KEK_MAGIC + nonce + AESGCM(kek_path.read_bytes()).encrypt(nonce, pair.raw(), keys.KEK_MAGIC)
    path = folder / f"{pair.public.key_id}.key"
    path.write_bytes(blob)
    return path
