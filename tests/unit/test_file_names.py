"""domain/files.py: which attachment names may become files, and the cleaned name stored instead."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from congress_desktop.core.filenames import MAX_NAME, clean_file_name, file_name_problem


@pytest.mark.parametrize("name", [
    "签到表.jpg", "现场照片 2026-03-01.jpeg", "a", "会议纪要（第3次）.docx", ".hidden", "archive.tar.gz",
    "CONSOLE.txt", "nul1.txt", "COM10.txt", "LPT.txt", "auxiliary.pdf", "x" * MAX_NAME, "名" * MAX_NAME,
    " leading space.txt", "déjà vu.pdf", "emoji 📷.png", "right\u200fmark.txt",
])
def test_ordinary_names_pass(name):
    assert file_name_problem(name) is None


@pytest.mark.parametrize("name, reason", [
    ("", "为空"),
    (".", "“.”或“..”"), ("..", "“.”或“..”"),
    ("x" * (MAX_NAME + 1), "超过 200 个字符"), ("名" * (MAX_NAME + 1), "超过 200 个字符"),
    ("../etc/passwd", "路径分隔符"), ("a/b.jpg", "路径分隔符"), ("..\\..\\boot.ini", "路径分隔符"), ("/", "路径分隔符"),
    ("a\x00b.jpg", "U+0000"), ("tab\there.jpg", "U+0009"), ("new\nline.jpg", "U+000A"), ("esc\x1b[31m.txt", "U+001B"),
    ("del\x7f.txt", "U+007F"), ("c1\x85.txt", "U+0085"), ("c1\x9f.txt", "U+009F"),
    ("invoice\u202egpj.exe", "U+202E"), ("a\u202ab.txt", "U+202A"), ("a\u202db.txt", "U+202D"),
    ("a\u2066b.txt", "U+2066"), ("a\u2069b.txt", "U+2069"),
    ("a<b.txt", "“<”"), ("a>b.txt", "“>”"), ("C:evil.txt", "“:”"), ('say "hi".txt', "“\"”"), ("a|b.txt", "“|”"),
    ("why?.txt", "“?”"), ("star*.txt", "“*”"),
    ("report.", "以点或空格结尾"), ("report ", "以点或空格结尾"), ("report.pdf...", "以点或空格结尾"),
    ("CON", "设备名"), ("con", "设备名"), ("PRN.txt", "设备名"), ("aux.tar.gz", "设备名"), ("NUL.txt", "设备名"),
    ("nul .txt", "设备名"), ("COM1", "设备名"), ("com9.log", "设备名"), ("COM0.txt", "设备名"), ("LPT1", "设备名"),
    ("lpt9.doc", "设备名"), ("COM¹.txt", "设备名"), ("CONIN$", "设备名"), ("conout$.txt", "设备名"),
])
def test_unsafe_names_are_refused_with_a_reason(name, reason):
    problem = file_name_problem(name)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("name, cleaned", [
    ("签到表.jpg", "签到表.jpg"),
    ("会议: 纪要?.pdf", "会议_ 纪要_.pdf"),
    ("invoice\u202egpj.exe", "invoice_gpj.exe"),
    ("report. . ", "report"),
    ("NUL.txt", "_NUL.txt"),
    ("con", "_con"),
    ("..", "附件"),
    ("", "附件"),
    ("../../etc/passwd", ".._.._etc_passwd"),
])
def test_cleaning_keeps_what_it_can(name, cleaned):
    assert clean_file_name(name) == cleaned


def test_a_long_name_is_cut_keeping_its_extension():
    out = clean_file_name("很长的文件名" * 50 + ".jpeg")
    assert len(out) == MAX_NAME and out.endswith(".jpeg") and file_name_problem(out) is None


@given(st.text(max_size=400))
def test_every_cleaned_name_passes_the_rules(name):
    assert file_name_problem(clean_file_name(name)) is None


@given(st.text(max_size=300))
def test_a_name_that_passes_is_left_as_it_is(name):
    if file_name_problem(name) is None:
        assert clean_file_name(name) == name
