"""Private keys in a real desktop keyring: a private D-Bus session bus and gnome-keyring-daemon
(secrets component, unlocked with a throw-away password) started for this module, with HOME and the
XDG folders in a temporary folder, so no keyring of the user's is touched. CI installs gnome-keyring
(.ci/run); on a machine without it these tests are skipped, in CI they fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from congress_desktop.core.errors import CongressError
from congress_desktop.core.office import setup_office
from congress_desktop.sync import keys, keystore
from congress_desktop.sync import service as sync
from tests.keyhelp import write_old_scheme


@pytest.fixture(scope="module")
def secret_service(tmp_path_factory):
    daemon, bus = shutil.which("gnome-keyring-daemon"), shutil.which("dbus-daemon")
    if not (daemon and bus):
        if os.environ.get("CI"):
            pytest.fail("CI must install gnome-keyring and dbus (see .ci/run)")
        pytest.skip("gnome-keyring-daemon or dbus-daemon is not installed (apt-get install gnome-keyring)")
    home = tmp_path_factory.mktemp("keyring-home")
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime),
           "XDG_DATA_HOME": str(home / "share"), "XDG_CONFIG_HOME": str(home / "config"), "LANG": "C.UTF-8"}
    bus_proc = subprocess.Popen([bus, "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env, text=True)
    procs = [bus_proc]
    try:
        address = bus_proc.stdout.readline().strip()
        assert address.startswith("unix:"), address
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        kr = subprocess.Popen([daemon, "--foreground", "--unlock", "--components=secrets"], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        procs.append(kr)
        kr.stdin.write(b"keyring-password-for-tests")
        kr.stdin.close()
        old = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        try:
            deadline = time.monotonic() + 15
            while not keystore.secret_service_available():
                assert time.monotonic() < deadline, "the test keyring did not start"
                time.sleep(0.1)
        finally:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS") if old is None else os.environ.update(
                DBUS_SESSION_BUS_ADDRESS=old)
        yield address
    finally:
        for p in reversed(procs):  # only the processes this fixture started
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture
def on_desktop(secret_service, monkeypatch):
    """This run sees the keyring, and no passphrase file: a passphrase asked for would fail the test."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service)
    monkeypatch.delenv(keys.PASSPHRASE_FILE_ENV)
    keys.forget_unwrapped()
    yield secret_service
    keys.forget_unwrapped()


def keyring_items(attributes: dict) -> list:
    import secretstorage

    conn = secretstorage.dbus_init()
    try:
        return [(i.get_label(), i.get_attributes(), i.get_secret())
                for i in secretstorage.search_items(conn, {**keystore.KEYRING_ATTRIBUTES, **attributes})]
    finally:
        conn.close()


def delete_keyring_items(attributes: dict) -> None:
    import secretstorage

    conn = secretstorage.dbus_init()
    try:
        for i in secretstorage.search_items(conn, {**keystore.KEYRING_ATTRIBUTES, **attributes}):
            i.delete()
    finally:
        conn.close()


def test_a_new_key_is_wrapped_by_the_desktop_keyring_without_any_passphrase(on_desktop, ctx, tmp_path):
    assert sync.new_key_passphrase_need() is None
    info = sync.init_keys(ctx)
    path = keys.key_path(ctx.data_dir, info.key_id)
    blob = path.read_bytes()
    assert blob.startswith(keys.SECRET_MAGIC)
    assert info.protection == keystore.LABELS[keystore.KEYRING] == sync.own_keys(ctx).protection
    wrap_id = blob[len(keys.SECRET_MAGIC):len(keys.SECRET_MAGIC) + 16].hex()
    [(label, attributes, secret)] = keyring_items({"wrap_id": wrap_id})
    assert attributes["key_id"] == info.key_id and info.key_id in label and len(secret) == 32
    assert secret not in blob and sorted(p.name for p in path.parent.iterdir()) == [path.name]

    keys.forget_unwrapped()  # a new run: the key comes out of the keyring, nobody is asked anything
    assert sync.key_passphrase_need(ctx) is None
    sync.export_enrolment(ctx, tmp_path / "t.cdenrol")
    assert (tmp_path / "t.cdenrol").exists()


def test_a_copied_data_folder_is_useless_where_the_keyring_lacks_its_secret(on_desktop, ctx, tmp_path, monkeypatch):
    info = sync.init_keys(ctx)
    copy = tmp_path / "copied"
    shutil.copytree(ctx.data_dir, copy, ignore=shutil.ignore_patterns("logs", "backups"))
    keys.forget_unwrapped()
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")  # another PC, or a session without a desktop
    with pytest.raises(CongressError, match="连不上系统钥匙环"):
        keys.load_private(copy, info.key_id)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", on_desktop)
    delete_keyring_items({"key_id": info.key_id})  # another user's keyring: the secret is not there
    with pytest.raises(CongressError, match="找不到保护本单位私钥的密钥"):
        keys.load_private(copy, info.key_id)


def test_an_old_key_file_moves_into_the_keyring_and_local_kek_is_deleted(on_desktop, data_dir):
    from congress_desktop.core.context import Context

    c = Context.open(data_dir)
    try:
        setup_office(c, "丹江口市六里坪镇人大", "420381103000", "town")
        info = sync.init_keys(c)
        pair = keys.load_private(data_dir, info.key_id)
        write_old_scheme(data_dir, pair)
        keys.forget_unwrapped()
        assert sync.key_passphrase_need(c) is None  # the keyring takes it: nothing to type
        assert sync.unlock_own_key(c).protection == keystore.LABELS[keystore.KEYRING]
        assert not (keys.key_folder(data_dir) / keys.KEK_FILE).exists()
        keys.forget_unwrapped()
        assert keys.load_private(data_dir, info.key_id).raw() == pair.raw()
    finally:
        c.close()


def test_the_keyring_of_a_session_is_seen_only_through_its_bus(secret_service, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service)
    assert keystore.secret_service_available()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + str(Path("/nonexistent") / "bus"))
    assert not keystore.secret_service_available()
