"""Writing files so that a power cut or a pulled stick leaves the old file or the new one, never half.

    atomic_write(path, data)            # bytes or str: temporary name, fsync, rename, fsync the folder
    with atomic_file(path) as f: ...    # the same for a writer that streams (f is a binary file)
    fsync_dir(folder)                   # make a rename in ``folder`` survive a power cut
    canonical_json(value)               # the one JSON spelling hashes and signatures are taken over
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def fsync_dir(folder: str | Path) -> None:
    """Flush a folder's entries (a rename) to disk. Windows cannot open a folder; NTFS journals renames."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temp_path(path: Path, tmp_suffix: str | None) -> tuple[int, Path]:
    if tmp_suffix is not None:  # a fixed name other code recognises (a leftover ``.part`` is cleaned up)
        tmp = path.with_name(path.name + tmp_suffix)
        return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), tmp
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    return fd, Path(name)


@contextmanager
def atomic_file(path: str | Path, *, tmp_suffix: str | None = None, mode: int | None = None,
                make_parents: bool = False) -> Iterator[IO[bytes]]:
    """A binary file that appears under ``path`` whole when the block ends, or not at all on an error.

    ``mode`` (e.g. 0o600 for a key) is set before the file gets its real name."""
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_path(path, tmp_suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if mode is not None and os.name == "posix":
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def atomic_write(path: str | Path, data: bytes | str, *, tmp_suffix: str | None = None,
                 mode: int | None = None, make_parents: bool = False) -> None:
    """Write ``data`` (str as UTF-8 with ``\\n`` line ends) whole or not at all."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_file(path, tmp_suffix=tmp_suffix, mode=mode, make_parents=make_parents) as f:
        f.write(raw)


def canonical_json(value: Any, *, default: Any = None) -> str:
    """Sorted keys, no spaces, Chinese kept as itself: equal values give equal text (hashes, signatures)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=default)


def canonical_json_bytes(value: Any, *, default: Any = None) -> bytes:
    return canonical_json(value, default=default).encode("utf-8")
