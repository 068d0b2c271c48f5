"""Private keys at rest on real files: the passphrase path (what a Linux PC without a desktop keyring
uses, and what the test suite runs on), old key files of the local.kek scheme, the command line's
passphrase sources, `keys show --json`, and enrolment reading its file once.

(tests/integration/test_keyring.py runs a real Secret Service; tests/unit/test_keystore.py has the
pure parts.)"""

from __future__ import annotations

import json
import logging
import os
import pty
import select
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

from congress_desktop.cli import main
from congress_desktop.core.errors import CongressError
from congress_desktop.sync import keys, keystore
from congress_desktop.sync import service as sync
from tests.keyhelp import write_old_scheme
from tests.synchelp import make_city, make_town

ROOT = Path(__file__).resolve().parents[2]


# the passphrase tests/conftest.py writes into the file it names (read before any test unsets it)
PASSPHRASE = Path(os.environ[keys.PASSPHRASE_FILE_ENV]).read_text(encoding="utf-8").splitlines()[0]


@pytest.fixture(autouse=True)
def _fresh_run():
    """Each test is a new program run: nothing unwrapped yet, no prompt, no --key-passphrase-file."""
    keys.forget_unwrapped()
    yield
    keys.forget_unwrapped()
    keys.use_passphrase_prompt(None)
    keys.use_passphrase_file(None)


@pytest.fixture
def city(tmp_path):
    c = make_city(tmp_path / "city")
    keys.forget_unwrapped()  # made in an earlier run
    yield c
    c.close()


@pytest.fixture
def town(tmp_path):
    c = make_town(tmp_path / "town", "六里坪镇人大", "420381103000")
    keys.forget_unwrapped()
    yield c
    c.close()


def key_file(ctx) -> Path:
    return keys.key_path(ctx.data_dir, sync.own_keys(ctx).key_id)


# ------------------------------------------------------------------ the passphrase path

def test_new_key_is_wrapped_with_the_passphrase_and_nothing_that_unwraps_it_sits_in_the_data_folder(town):
    info = sync.own_keys(town)
    pair = keys.load_private(town.data_dir, info.key_id)
    blob = key_file(town).read_bytes()
    assert blob.startswith(keys.PASS_MAGIC)
    assert pair.raw()[:32] not in blob and pair.raw()[32:] not in blob
    assert sorted(p.name for p in keys.key_folder(town.data_dir).iterdir()) == [f"{info.key_id}.key"]
    assert info.protection == keystore.LABELS[keystore.PASSPHRASE]
    assert key_file(town).stat().st_mode & 0o077 == 0
    assert keys.key_folder(town.data_dir).stat().st_mode & 0o077 == 0


def test_a_copied_data_folder_is_useless_without_the_passphrase(town, tmp_path, monkeypatch):
    kid = sync.own_keys(town).key_id
    copy = tmp_path / "copied"
    shutil.copytree(town.data_dir, copy, ignore=shutil.ignore_patterns("logs", "backups"))
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("猜一个口令 guess\n", encoding="utf-8")
    wrong.chmod(0o600)
    monkeypatch.setenv(keys.PASSPHRASE_FILE_ENV, str(wrong))
    with pytest.raises(keys.WrongPassphrase, match="私钥口令不对"):
        keys.load_private(copy, kid)
    monkeypatch.delenv(keys.PASSPHRASE_FILE_ENV)
    with pytest.raises(keys.PassphraseNeeded, match="--key-passphrase-file"):
        keys.load_private(copy, kid)
    assert keys.load_private(copy, kid, passphrase=PASSPHRASE).public.key_id == kid


def test_the_passphrase_is_asked_once_per_run_and_a_wrong_one_again(town, tmp_path, monkeypatch):
    monkeypatch.delenv(keys.PASSPHRASE_FILE_ENV)
    answers = ["不是这个口令 wrong", PASSPHRASE]
    asked: list[tuple[str, str]] = []

    def prompt(mode: str, problem: str) -> str:
        asked.append((mode, problem))
        return answers.pop(0)

    keys.use_passphrase_prompt(prompt)
    assert sync.key_passphrase_need(town) == keys.UNLOCK
    sync.export_enrolment(town, tmp_path / "a.cdenrol")
    sync.export_enrolment(town, tmp_path / "b.cdenrol")
    assert [m for m, _ in asked] == [keys.UNLOCK, keys.UNLOCK]
    assert asked[0][1] == "" and "私钥口令不对" in asked[1][1]
    assert sync.key_passphrase_need(town) is None  # unwrapped for the rest of the run


def test_three_wrong_passphrases_at_the_prompt_stop_the_work(town, tmp_path, monkeypatch):
    monkeypatch.delenv(keys.PASSPHRASE_FILE_ENV)
    keys.use_passphrase_prompt(lambda mode, problem: "总是错的口令 wrong")
    with pytest.raises(keys.WrongPassphrase):
        sync.export_enrolment(town, tmp_path / "a.cdenrol")
    assert not (tmp_path / "a.cdenrol").exists()


def test_a_short_passphrase_for_a_new_key_is_refused_and_nothing_is_made(ctx, tmp_path, monkeypatch):
    monkeypatch.delenv(keys.PASSPHRASE_FILE_ENV)
    assert sync.new_key_passphrase_need() == keys.CHOOSE
    with pytest.raises(CongressError, match="至少要 8 个字符"):
        sync.init_keys(ctx, passphrase="短口令")
    assert sync.own_keys(ctx) is None
    assert not keys.key_folder(ctx.data_dir).exists() or not list(keys.key_folder(ctx.data_dir).glob("*.key"))
    with pytest.raises(keys.PassphraseNeeded, match="没有设定口令"):
        sync.init_keys(ctx)
    info = sync.init_keys(ctx, passphrase="一个足够长的口令")
    keys.forget_unwrapped()
    assert sync.unlock_own_key(ctx, "一个足够长的口令").key_id == info.key_id


def test_a_passphrase_file_others_can_read_is_refused(town, tmp_path, monkeypatch):
    f = tmp_path / "pw.txt"
    f.write_bytes(b"\xef\xbb\xbf" + PASSPHRASE.encode() + b"\r\nsecond line\r\n")  # Notepad's BOM, CRLF
    f.chmod(0o644)
    monkeypatch.setenv(keys.PASSPHRASE_FILE_ENV, str(f))
    with pytest.raises(CongressError, match="chmod 600"):
        sync.unlock_own_key(town)
    f.chmod(0o600)
    assert sync.unlock_own_key(town).key_id == sync.own_keys(town).key_id


def test_a_key_file_swapped_during_the_run_is_not_served_from_memory(town, tmp_path):
    path = key_file(town)
    kid = sync.own_keys(town).key_id
    keys.load_private(town.data_dir, kid)  # unwrapped and kept
    other = keys.KeyPair.generate()
    keys.save_private(tmp_path / "elsewhere", other)
    shutil.copyfile(keys.key_path(tmp_path / "elsewhere", other.public.key_id), path)
    with pytest.raises(CongressError, match="不一致"):
        keys.load_private(town.data_dir, kid)


def test_fallback_from_a_scheme_that_cannot_be_used_is_logged_and_recorded_in_the_file(caplog, monkeypatch):
    """On this Linux PC neither DPAPI nor a keyring (a bus address that answers nothing) can be used:
    the key is wrapped with the passphrase, a warning is logged, and the label says passphrase."""
    raw = keys.KeyPair.generate().raw()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/congress-test-bus")
    with caplog.at_level(logging.WARNING, logger="congress_desktop.sync.keys"):
        for order in ([keystore.DPAPI, keystore.PASSPHRASE], [keystore.KEYRING, keystore.PASSPHRASE]):
            blob = keys.protect(raw, "k1", order=order)
            assert keystore.scheme_of(blob) == keystore.PASSPHRASE
            assert keystore.label_of(blob) == keystore.LABELS[keystore.PASSPHRASE]
            assert keystore.passphrase_unwrap(blob, PASSPHRASE) == raw
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 2 and "dpapi cannot be used" in warned[0] and "keyring cannot be used" in warned[1]
    # the default order on this PC: no keyring answers, so the passphrase first
    assert keys.new_key_passphrase_need() is None  # (a passphrase file is set for the tests)
    assert keystore.scheme_order(sys.platform, keystore.secret_service_available()) == [keystore.PASSPHRASE]


# ------------------------------------------------------------------ old key files (local.kek beside the key)

def test_an_old_key_file_loads_and_is_rewrapped_and_local_kek_is_deleted(town):
    kid = sync.own_keys(town).key_id
    pair = keys.load_private(town.data_dir, kid)
    retired = keys.KeyPair.generate()
    write_old_scheme(town.data_dir, pair)
    write_old_scheme(town.data_dir, retired)  # a retired key of the same folder, same local.kek
    keys.forget_unwrapped()
    assert sync.own_keys(town).protection == keystore.LABELS[keystore.LEGACY]

    info = sync.unlock_own_key(town)
    folder = keys.key_folder(town.data_dir)
    assert not (folder / keys.KEK_FILE).exists()
    assert info.protection == keystore.LABELS[keystore.PASSPHRASE]
    for p in (pair, retired):
        assert (folder / f"{p.public.key_id}.key").read_bytes().startswith(keys.PASS_MAGIC)
    keys.forget_unwrapped()
    assert keys.load_private(town.data_dir, kid).raw() == pair.raw()
    assert keys.load_private(town.data_dir, retired.public.key_id).raw() == retired.raw()


def test_an_old_key_file_asks_for_a_new_passphrase_where_no_keyring_runs(town, monkeypatch):
    kid = sync.own_keys(town).key_id
    pair = keys.load_private(town.data_dir, kid)
    write_old_scheme(town.data_dir, pair)
    keys.forget_unwrapped()
    monkeypatch.delenv(keys.PASSPHRASE_FILE_ENV)
    assert sync.key_passphrase_need(town) == keys.CHOOSE
    with pytest.raises(CongressError, match="至少要 8 个字符"):
        sync.unlock_own_key(town, "太短")
    assert (keys.key_folder(town.data_dir) / keys.KEK_FILE).exists()  # nothing changed
    sync.unlock_own_key(town, "新设定的私钥口令")
    assert not (keys.key_folder(town.data_dir) / keys.KEK_FILE).exists()
    keys.forget_unwrapped()
    assert keys.load_private(town.data_dir, kid, passphrase="新设定的私钥口令").raw() == pair.raw()


def test_an_old_key_file_without_its_local_kek_says_what_to_do(town):
    kid = sync.own_keys(town).key_id
    write_old_scheme(town.data_dir, keys.load_private(town.data_dir, kid))
    (keys.key_folder(town.data_dir) / keys.KEK_FILE).unlink()
    keys.forget_unwrapped()
    with pytest.raises(CongressError, match="重新生成密钥"):
        keys.load_private(town.data_dir, kid)


# ------------------------------------------------------------------ the command line

def run(capsys, data, *args) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_keys_show_json_is_real_json_with_every_field(capsys, city, town, tmp_path):
    f = tmp_path / "t.cdenrol"
    sync.export_enrolment(town, f)
    sync.enrol_office(city, f, fingerprint=sync.own_keys(town).fingerprint)
    code, out, _ = run(capsys, city.data_dir, "keys", "show", "--json")
    assert code == 0
    doc = json.loads(out)
    mine = sync.own_keys(city)
    assert doc["keys"]["key_id"] == mine.key_id and doc["keys"]["fingerprint"] == mine.fingerprint
    assert doc["keys"]["office_code"] == "420381000000" and doc["keys"]["role"] == "city"
    assert doc["keys"]["protection"] == keystore.LABELS[keystore.PASSPHRASE]
    assert doc["keys"]["created_at"].endswith("Z")
    [peer] = doc["peers"]
    assert peer["code"] == "420381103000" and peer["fingerprint"] == sync.own_keys(town).fingerprint
    assert peer["active"] is True and peer["revoked_at"] is None and peer["enrolled_at"].endswith("Z")


def test_keys_show_json_without_keys_says_null(capsys, ctx):
    code, out, _ = run(capsys, ctx.data_dir, "keys", "show", "--json")
    assert code == 0 and json.loads(out) == {"keys": None, "peers": []}


def test_the_command_line_takes_the_passphrase_from_a_file_option(capsys, ctx, tmp_path, monkeypatch):
    monkeypatch.delenv(keys.PASSPHRASE_FILE_ENV)
    f = tmp_path / "口令.txt"
    f.write_text("办公室的私钥口令\n", encoding="utf-8")
    f.chmod(0o600)
    code, out, err = run(capsys, ctx.data_dir, "keys", "init")
    assert code == 1 and "--key-passphrase-file" in err  # no terminal, no file: says how
    code, out, _ = run(capsys, ctx.data_dir, "--key-passphrase-file", str(f), "keys", "init")
    assert code == 0 and "私钥保护方式：私钥口令" in out
    keys.forget_unwrapped()  # a new run
    code, _, err = run(capsys, ctx.data_dir, "keys", "export-enrolment", str(tmp_path / "a.cdenrol"))
    assert code == 1 and "需要私钥口令" in err
    code, _, _ = run(capsys, ctx.data_dir, "--key-passphrase-file", str(f), "keys", "export-enrolment",
                     str(tmp_path / "a.cdenrol"))
    assert code == 0 and (tmp_path / "a.cdenrol").exists()


def _talk(argv: list[str], env: dict, lines: list[str], timeout: float = 60) -> tuple[int, str]:
    """Run the command line on a real pseudo-terminal; answer each passphrase prompt with the next line."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command line, with the pty as its terminal
        os.execve(sys.executable, [sys.executable, "-m", "congress_desktop", *argv], env)
    seen, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
                if seen.endswith("：".encode()) and lines:  # a prompt waits (getpass's own newline not yet)
                    os.write(fd, (lines.pop(0) + "\n").encode())
        else:
            os.kill(pid, 9)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode("utf-8", "replace")


@pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal")
def test_the_command_line_asks_the_passphrase_at_a_terminal_without_echo(ctx, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != keys.PASSPHRASE_FILE_ENV}
    env["PYTHONPATH"] = str(ROOT)
    data = str(ctx.data_dir)
    code, screen = _talk(["--data-dir", data, "keys", "init"], env, ["终端里设定的口令", "终端里设定的口令"])
    assert code == 0, screen
    assert "请设定私钥口令" in screen and "请再输入一次" in screen and "终端里设定的口令" not in screen
    code, screen = _talk(["--data-dir", data, "keys", "export-enrolment", str(tmp_path / "t.cdenrol")], env,
                         ["错的口令 wrong", "终端里设定的口令"])
    assert code == 0, screen
    assert "私钥口令不对" in screen and (tmp_path / "t.cdenrol").exists()


# ------------------------------------------------------------------ enrolment reads its file once

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="a named pipe stands for a file swapped between reads")
def test_enrolment_enrols_the_very_bytes_whose_fingerprint_was_checked(city, town, tmp_path):
    """A file that gives other content at a second read (swapped on the stick between the reads): the key
    enrolled is the one whose fingerprint was compared, because the file is read once."""
    other = make_town(tmp_path / "other", "浪河镇人大", "420381104000")
    try:
        good, swapped = tmp_path / "good.cdenrol", tmp_path / "swapped.cdenrol"
        sync.export_enrolment(town, good)
        sync.export_enrolment(other, swapped)
        fifo = tmp_path / "stick.cdenrol"
        os.mkfifo(fifo)
        served: list[str] = []

        def serve() -> None:
            for name, data in (("good", good.read_bytes()), ("swapped", swapped.read_bytes())):
                try:
                    with open(fifo, "wb") as f:  # waits for a reader
                        served.append(name)
                        f.write(data)
                except OSError:
                    return
                time.sleep(1)  # the reader sees the end of the first content before the second is offered

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        p = sync.enrol_office(city, fifo, fingerprint=sync.own_keys(town).fingerprint)
        assert served == ["good"]
        assert (p.code, p.key_id) == ("420381103000", sync.own_keys(town).key_id)
        assert [x.code for x in sync.list_peers(city)] == ["420381103000"]
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # let the server's second open through
        t.join(10)
    finally:
        other.close()
