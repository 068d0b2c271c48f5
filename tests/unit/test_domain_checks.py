"""The checks every typed or imported value goes through, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from congress_desktop.core.dates import DateError, parse_date, to_date
from congress_desktop.core.errors import FieldErrors
from congress_desktop.core.idcard import (
    IdNumberError,
    check_char,
    looks_like_excel_number,
    mask_id_number,
    parse_id_number,
)
from congress_desktop.core.phone import PhoneError, is_mobile, normalise_phone
from congress_desktop.core.regioncode import (
    RegionCodeError,
    parse_region_code,
    validate_office_code,
    validate_village_code,
)
from congress_desktop.core.text import clean, clean_name, digits_only, pinyin_keys, to_halfwidth
from congress_desktop.deputies.rules import normalise_deputy, parse_levels

TODAY = dt.date(2026, 7, 1)


def make_id(birth: str, seq: int, area: str = "420381") -> str:
    first = f"{area}{birth}{seq:03d}"
    return first + check_char(first)


# ------------------------------------------------------------------ 公民身份号码


def test_check_character_follows_gb11643():
    # The worked example of the standard: 11010519491231002X.
    assert check_char("11010519491231002") == "X"
    assert parse_id_number("11010519491231002X", TODAY).gender == "女"


def test_id_number_with_check_x_accepted_in_lower_case_and_full_width():
    number = next(make_id("19800101", s) for s in range(1000) if make_id("19800101", s).endswith("X"))
    lower = number[:17] + "x"
    full = to_fullwidth(number)
    for typed in (number, lower, full, f" {number[:6]} {number[6:14]} {number[14:]} "):
        info = parse_id_number(typed, TODAY)
        assert info.number == number
        assert info.birth_date == dt.date(1980, 1, 1)


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_id_number_gender_from_the_17th_digit():
    assert parse_id_number(make_id("19750305", 11), TODAY).gender == "男"
    assert parse_id_number(make_id("19750305", 12), TODAY).gender == "女"


def test_wrong_check_digit_names_the_expected_one():
    good = make_id("19750305", 11)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(IdNumberError, match=f"校验位不对（应为 {good[17]}）"):
        parse_id_number(bad, TODAY)


@pytest.mark.parametrize(("value", "reason"), [
    ("420381750305111", "15 位旧身份证号不再使用"),
    ("42038119750305111", "应为 18 位，这里是 17 位"),
    ("42038119750305A111", "前 17 位应为数字"),
    ("420381197502301110", "19750230 不是有效日期"),
    (make_id("20300101", 11), "不合理"),        # born in the future
    (make_id("18991231", 11), "不合理"),
])
def test_malformed_id_numbers_are_explained(value, reason):
    with pytest.raises(IdNumberError, match=reason):
        parse_id_number(value, TODAY)


def test_unknown_or_retired_address_codes_are_not_rejected():
    assert parse_id_number(make_id("19750305", 11, area="999999"), TODAY).number.startswith("999999")


@pytest.mark.parametrize("value", [4.20381e17, "4.20381E+17", "4.20381e17", "４.２０３８１Ｅ＋１７"])
def test_excel_scientific_numbers_are_recognised(value):
    assert looks_like_excel_number(value)
    with pytest.raises(IdNumberError, match="科学计数法"):
        parse_id_number(value, TODAY)


def test_mask_shows_area_and_last_four_only():
    assert mask_id_number("420381197503051117") == "420381********1117"
    assert mask_id_number("") == ""


# ------------------------------------------------------------------ phones


@pytest.mark.parametrize(("typed", "stored"), [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+86 13812345678", "13812345678"),
    ("８６１３８１２３４５６７８", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),
    ("0719-5212345", "0719-5212345"),
    ("07195212345", "0719-5212345"),
    ("(0719)5212345", "0719-5212345"),
    ("（0719）5212345", "0719-5212345"),
    ("０７１９－５２１２３４５", "0719-5212345"),
    ("010-12345678", "010-12345678"),
    ("0719-5212345转123", "0719-5212345-123"),
    ("0719-5212345-8001", "0719-5212345-8001"),
    ("0719-5212345 ext. 12", "0719-5212345-12"),
    ("", ""),
    (None, ""),
])
def test_phone_numbers_are_normalised(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(("typed", "reason"), [
    ("1381234567", "手机号“1381234567”不正确"),      # 10 digits
    ("12812345678", "以 13-19 开头"),
    ("0719-52123", "格式不正确"),
    ("5212345", "格式不正确"),                        # no area code
    ("abc", "格式不正确"),
])
def test_wrong_phone_numbers_are_explained(typed, reason):
    with pytest.raises(PhoneError, match=reason):
        normalise_phone(typed)


def test_is_mobile_tells_mobiles_from_landlines():
    assert is_mobile("13812345678")
    assert not is_mobile("0719-5212345")


# ------------------------------------------------------------------ region codes


@pytest.mark.parametrize(("code", "level", "kind"), [
    ("420300000000", "city", "地级"),
    ("420381000000", "county", "县级"),
    ("420381001000", "town", "街道"),
    ("420381103000", "town", "镇"),
    ("420381200000", "town", "乡"),
    ("420381103001", "village", "居委会"),
    ("420381103200", "village", "村委会"),
    ("420381103400", "village", "类似村级单位"),
])
def test_region_code_levels(code, level, kind):
    rc = parse_region_code(code)
    assert (rc.level, rc.kind) == (level, kind)


def test_region_code_accepts_spaces_and_full_width_digits():
    assert parse_region_code("４２０３８１ １０３ ２００").code == "420381103200"


@pytest.mark.parametrize(("code", "reason"), [
    ("42038110300", "应为 12 位数字，这里是 11 位"),
    ("990381103000", "前两位"),
    ("420381000200", "乡级为 000 时村级也应为 000"),
])
def test_malformed_region_codes_are_explained(code, reason):
    with pytest.raises(RegionCodeError, match=reason):
        parse_region_code(code)


def test_office_code_must_fit_the_role():
    assert validate_office_code("420381103000", "town").kind == "镇"
    assert validate_office_code("420381000000", "city").level == "county"
    with pytest.raises(RegionCodeError, match="应到乡级"):
        validate_office_code("420381000000", "town")
    with pytest.raises(RegionCodeError, match="县级或地级"):
        validate_office_code("420381103000", "city")


def test_village_code_must_be_inside_the_town():
    assert validate_village_code("420381103201", "420381103000").kind == "村委会"
    with pytest.raises(RegionCodeError, match="前 9 位应与本乡镇一致（420381103）"):
        validate_village_code("420381104201", "420381103000")
    with pytest.raises(RegionCodeError, match="最后三位不能是 000"):
        validate_village_code("420381103000", "420381103000")


# ------------------------------------------------------------------ text and pinyin


@pytest.mark.parametrize(("name", "full", "initials"), [
    ("张三", "zhangsan", "zs"),
    ("李秀英", "lixiuying", "lxy"),
    ("吕长青", "lvchangqing", "lcq"),
    ("曾志强", "zengzhiqiang", "zzq"),   # surname reading, not céng
    ("单小平", "shanxiaoping", "sxp"),
    ("解放", "xiefang", "xf"),
])
def test_pinyin_keys_of_names(name, full, initials):
    assert pinyin_keys(name) == (full, initials)


def test_pinyin_keys_keep_what_is_not_chinese():
    assert pinyin_keys("") == ("", "")
    full, initials = pinyin_keys("𠮷田")  # a rare character outside GBK stays as it is
    assert full.startswith("𠮷") and initials == "𠮷t"


def test_names_lose_spaces_and_get_one_kind_of_middle_dot():
    assert clean_name(" 张　三 ") == "张三"
    assert clean_name("阿依古丽.买买提") == "阿依古丽·买买提"
    assert clean_name("阿依古丽•买买提") == "阿依古丽·买买提"
    assert clean_name("Ｌｉ Ｍｉｎｇ") == "LiMing"


def test_clean_collapses_spaces_and_halfwidth_folds_digits():
    assert clean("  黄家村\u3000 党支部  书记\n") == "黄家村 党支部 书记"
    assert clean(None) == ""
    assert to_halfwidth("１２３ＡＢ－") == "123AB-"
    assert digits_only("４２０ ３８１-x") == "420381"


# ------------------------------------------------------------------ dates


@pytest.mark.parametrize(("typed", "iso"), [
    ("1975-03-05", "1975-03-05"),
    ("1975.3.5", "1975-03-05"),
    ("1975/3/5", "1975-03-05"),
    ("1975年3月5日", "1975-03-05"),
    ("19750305", "1975-03-05"),
    ("１９７５－０３－０５", "1975-03-05"),
    (dt.date(1975, 3, 5), "1975-03-05"),
    (dt.datetime(1975, 3, 5, 0, 0), "1975-03-05"),
    ("", ""),
    (None, ""),
])
def test_dates_as_offices_write_them(typed, iso):
    assert parse_date(typed) == iso


@pytest.mark.parametrize(("typed", "iso"), [("1975-03", "1975-03"), ("1975.3", "1975-03"),
                                            ("1975年3月", "1975-03"), ("197503", "1975-03")])
def test_month_only_dates_where_allowed(typed, iso):
    assert parse_date(typed, allow_month=True) == iso
    with pytest.raises(DateError):
        parse_date(typed)


@pytest.mark.parametrize("typed", ["1975-02-30", "1975-13", "三月五日", "75-3-5"])
def test_impossible_dates_are_rejected(typed):
    with pytest.raises(DateError):
        parse_date(typed, allow_month=True)


def test_to_date_reads_full_and_month_dates():
    assert to_date("1975-03") == dt.date(1975, 3, 1)
    assert to_date("1975-03-05") == dt.date(1975, 3, 5)


# ------------------------------------------------------------------ normalise_deputy


def test_id_number_fills_gender_and_birth_date():
    d = normalise_deputy({"name": "张三", "id_number": make_id("19750305", 11)}, TODAY)
    assert (d.gender, d.birth_date, d.levels, d.status) == ("男", "1975-03-05", ["town"], "在任")


def test_month_birth_date_is_completed_from_the_id_number():
    d = normalise_deputy({"name": "张三", "birth_date": "1975.3", "id_number": make_id("19750305", 11)}, TODAY)
    assert d.birth_date == "1975-03-05"


def test_gender_and_birth_date_that_contradict_the_id_number_are_both_named():
    with pytest.raises(FieldErrors) as e:
        normalise_deputy({"name": "张三", "gender": "女", "birth_date": "1976-03-05",
                          "id_number": make_id("19750305", 11)}, TODAY)
    assert set(e.value.errors) == {"gender", "birth_date"}
    assert "与身份证号（男）不一致" in e.value.errors["gender"]
    assert "1975-03-05" in e.value.errors["birth_date"]


def test_every_wrong_field_is_reported_at_once():
    with pytest.raises(FieldErrors) as e:
        normalise_deputy({"name": "", "gender": "未知", "mobile": "1381234567", "phone": "12345",
                          "levels": "村级", "status": "离职", "elected_on": "去年"}, TODAY)
    assert set(e.value.errors) >= {"name", "gender", "mobile", "phone", "levels", "status", "elected_on"}
    assert e.value.errors["name"] == "姓名不能为空"
    assert e.value.field == "name"


def test_deputy_must_be_an_adult_born_after_1900():
    with pytest.raises(FieldErrors, match="代表应年满十八周岁"):
        normalise_deputy({"name": "张三", "birth_date": "2015-01-01"}, TODAY)
    with pytest.raises(FieldErrors, match="不合理"):
        normalise_deputy({"name": "张三", "birth_date": "1899-12"}, TODAY)


def test_id_number_with_a_future_birth_date_is_rejected():
    with pytest.raises(FieldErrors) as e:
        normalise_deputy({"name": "张三", "id_number": make_id("20300101", 11)}, TODAY)
    assert "id_number" in e.value.errors


def test_terminated_or_suspended_deputy_needs_a_date_and_reason_not_in_the_future():
    with pytest.raises(FieldErrors) as e:
        normalise_deputy({"name": "张三", "status": "终止"}, TODAY)
    assert e.value.errors == {"status_date": "终止的代表须填写终止日期", "status_reason": "终止的代表须填写终止原因"}
    with pytest.raises(FieldErrors, match="不能晚于今天"):
        normalise_deputy({"name": "张三", "status": "暂停", "status_date": "2026-07-02", "status_reason": "x"},
                         TODAY)
    d = normalise_deputy({"name": "张三", "status": "终止", "status_date": "2026.3.15",
                          "status_reason": "户籍迁出本镇"}, TODAY)
    assert (d.status, d.status_date) == ("终止", "2026-03-15")


def test_fullwidth_and_spaced_values_are_stored_normalised():
    d = normalise_deputy({"name": " 张 三 ", "mobile": "１３８ １２３４ ５６７８", "phone": "０７１９－５２１２３４５",
                          "id_number": to_fullwidth(make_id("19750305", 11)), "ethnicity": " 汉族 "}, TODAY)
    assert (d.name, d.mobile, d.phone, d.ethnicity) == ("张三", "13812345678", "0719-5212345", "汉族")
    assert d.id_number == make_id("19750305", 11)


@pytest.mark.parametrize(("typed", "keys"), [
    ("镇", ["town"]),
    ("镇、丹江口市", ["town", "county"]),
    ("乡镇人大代表,县(市、区)人大代表", ["town", "county"]),
    ("全国；省；十堰市", ["national", "province", "prefecture"]),
    ("设区的市人大代表", ["prefecture"]),
    (["town", "county", "town"], ["town", "county"]),
])
def test_levels_as_offices_write_them(typed, keys):
    assert parse_levels(typed) == keys


def test_unknown_level_is_explained():
    with pytest.raises(ValueError, match="代表层级“村级”无法识别"):
        parse_levels("村级")
