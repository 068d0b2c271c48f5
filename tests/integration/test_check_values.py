"""`check` reads every stored value by the rules a received record meets (sync/content.py), names each
record that breaks them, and `check --hold` puts the received ones aside as 待核查 so every list opens."""

from __future__ import annotations

import json

from congress_desktop.cli import main
from congress_desktop.core.store.models import Deputy
from congress_desktop.deputies import service as deputies
from congress_desktop.sync import service as sync
from tests.synchelp import enrol, make_city, make_town


def run(capsys, data, *args):
    code = main(["--data-dir", str(data), *args])
    out, err = capsys.readouterr()
    return code, out + err


def test_a_received_record_that_cannot_be_read_is_named_held_and_later_written_back(capsys, tmp_path):
    city = make_city(tmp_path / "city")
    town = make_town(tmp_path / "town", "丹江口市浪河镇人大", "420381105000", deputies_n=3)
    enrol(city, town, tmp_path / "papers")
    sync.export_packages(town, tmp_path / "s1")
    sync.import_from(city, tmp_path / "s1")
    victim = deputies.query_deputies(town, deputies.DeputyQuery(), 0, 1)[0]
    # what a package applied before these checks could leave behind
    with city.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE deputy SET created_at = 'garbage', status = '离任了' WHERE id = ?", (victim.id,))
    city.close()

    code, out = run(capsys, tmp_path / "city", "deputies", "list")
    assert code == 1  # the symptom: one record breaks the list of every town

    code, out = run(capsys, tmp_path / "city", "check")
    assert code == 1 and "记录内容：2 处无法识别" in out
    assert f"代表“{victim.name}”（编号 {victim.id}" in out and "创建时间" in out and "状态" in out
    assert "check --hold" in out
    code, out = run(capsys, tmp_path / "city", "check", "--json")
    bad = json.loads(out)["sections"]["values"]["bad"]
    assert {b["column"] for b in bad} == {"created_at", "status"} and {b["record_id"] for b in bad} == {victim.id}

    code, out = run(capsys, tmp_path / "city", "check", "--hold")
    assert code == 0 and "已把 1 条" in out and "结论：全部正常" in out
    code, out = run(capsys, tmp_path / "city", "deputies", "list")
    assert code == 0 and victim.name not in out  # aside, not shown as a deputy
    code, out = run(capsys, tmp_path / "city", "sync", "quarantine", "--json")
    held = json.loads(out)
    assert len(held) == 1 and held[0]["record_id"] == victim.id and "待核查" in held[0]["reason"]

    # the town's next version of the record brings it back whole
    with town.store.session() as s:
        s.get(Deputy, victim.id).note = "核对后重新报送"
    sync.export_packages(town, tmp_path / "s2")
    from congress_desktop.core.context import Context

    city = Context.open(tmp_path / "city")
    try:
        assert sync.import_from(city, tmp_path / "s2").packages[0].status == "applied"
        back = deputies.get_deputy(city, victim.id)
        assert back.note == "核对后重新报送" and back.status == "在任"
    finally:
        city.close()
        town.close()


def test_our_own_unreadable_record_is_named_and_never_put_aside(capsys, demo_ctx):
    d = deputies.query_deputies(demo_ctx, deputies.DeputyQuery(), 0, 1)[0]
    with demo_ctx.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE deputy SET name = ? WHERE id = ?", (d.name + "\a", d.id))
    folder = demo_ctx.data_dir
    demo_ctx.close()
    code, out = run(capsys, folder, "check", "--hold")
    assert code == 1 and "没有需要转为待核查" in out and "姓名" in out and "控制字符" in out
