"""End to end: three towns and a city, each in its own data folder, one stick going round."""

from __future__ import annotations

import shutil

from congress_desktop.deputies import service as deputies
from congress_desktop.sync import report as sync_report
from congress_desktop.sync import service as sync
from congress_desktop.sync import summary as city_summary
from tests.pdfcheck import pdf_fonts_embedded, pdf_text
from tests.synchelp import enrol, make_city, make_town

TOWNS = [("丹江口市六里坪镇人大", "420381103000", 5), ("丹江口市浪河镇人大", "420381105000", 4),
         ("丹江口市官山镇人大", "420381106000", 3)]


def test_three_towns_and_a_city_round_trip(tmp_path):
    city = make_city(tmp_path / "city")
    towns = [make_town(tmp_path / code, name, code, deputies_n=n) for name, code, n in TOWNS]
    try:
        for t in towns:
            enrol(city, t, tmp_path / "papers")
        for t in towns:  # the last bundle lists all three; each town may import any of them
            sync.import_trust_bundle(t, tmp_path / "papers" / "trust.cdtrust")  # the key each trusts already
        stick = tmp_path / "stick"

        # 1. every town exports onto the same stick; the city imports them all at once
        first = {t.office.code: sync.export_packages(t, stick).packages[0] for t in towns}
        report = sync.import_from(city, stick)
        assert [p.status for p in report.packages] == ["applied"] * 3
        assert {p.sender: p.applied for p in report.packages} == {c: p.records for c, p in first.items()}
        for _name, code, n in TOWNS:
            assert deputies.count_deputies(city, deputies.DeputyQuery(owner=code)) == n

        # 2. receipts return: each town reads its own and sees nothing waiting
        for t in towns:
            r = sync.export_packages(t, stick)
            assert [x.accepted for x in r.receipts] == [True]
            assert r.packages[0].records == 0
            assert sync.sync_status(t).peers[0].confirmed_seq == first[t.office.code].seq_to
        sync.import_from(city, stick)  # the three empty packages: heard from, nothing to apply

        # 3. a second export carries only the new changes
        t0 = towns[0]
        d = deputies.query_deputies(t0, deputies.DeputyQuery(), 0, 1)[0]
        deputies.update_deputy(t0, d.id, d.as_form() | {"work_unit": "六里坪镇人大主席"})
        second = sync.export_packages(t0, stick).packages[0]
        assert second.records == 1 and second.seq_from == first[t0.office.code].seq_to + 1

        # 4. ... and that stick is lost: the next package carries the change again, with a new one
        shutil.rmtree(stick)
        t1 = towns[1]
        deputies.create_deputy(t0, {"name": "新增代表", "gender": "女"})
        deputies.create_deputy(t1, {"name": "浪河新代表", "gender": "男"})
        again = sync.export_packages(t0, stick).packages[0]
        assert again.seq_from == second.seq_from and again.records == 2
        sync.export_packages(t1, stick)
        report = sync.import_from(city, stick)
        assert sorted(p.applied for p in report.packages) == [1, 2]
        assert deputies.get_deputy(city, d.id).work_unit == "六里坪镇人大主席"

        # 5. the city sees all three towns, in the table and in the summary (window, PDF, xlsx)
        table = sync.list_towns(city)
        assert [t.code for t in table] == [c for _, c, _ in TOWNS]
        assert all(t.enrolled and not t.gaps and t.packages >= 2 for t in table)
        summary = city_summary.city_summary(city, "2020-01-01", "2030-12-31")
        by_code = {t.code: t for t in summary.towns}
        assert {c: by_code[c].deputies for _, c, _ in TOWNS} == {"420381103000": 6, "420381105000": 5,
                                                                  "420381106000": 3}
        assert summary.total.deputies == 14
        pdf = tmp_path / "summary.pdf"
        assert sync_report.print_city_summary(city, pdf, "2020-01-01", "2030-12-31") >= 1
        text = pdf_text(pdf)
        for name, _, _ in TOWNS:
            assert name in text
        assert "合计" in text and pdf_fonts_embedded(pdf)
        xlsx = tmp_path / "summary.xlsx"
        assert city_summary.export_city_summary(city, xlsx, "2020-01-01", "2030-12-31") == 3
        from openpyxl import load_workbook

        ws = load_workbook(xlsx).active
        names = [ws.cell(row=r, column=1).value for r in range(2, 6)]
        assert names == [n for n, _, _ in TOWNS] + ["合计"]
    finally:
        for c in (city, *towns):
            c.close()
