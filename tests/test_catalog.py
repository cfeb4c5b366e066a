"""The shipped course catalog and its loader/validator (courses/, no Flask needed)."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

import courses
from courses import DATA_DIR, Catalog, CatalogError, load_catalog, vocab

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def data(tmp_path) -> Path:
    """A writable copy of the shipped catalog files."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def read_rows(directory: Path, file: str) -> list[list[str]]:
    with open(directory / file, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def write_rows(directory: Path, file: str, rows: list[list[str]], *, delimiter=",", bom=True):
    with open(directory / file, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)


def set_cell(directory: Path, file: str, line: int, column: str, value: str) -> None:
    """Overwrite one cell; `line` is the line number in the file (the header is line 1)."""
    rows = read_rows(directory, file)
    rows[line - 1][rows[0].index(column)] = value
    write_rows(directory, file, rows)


def line_of(directory: Path, file: str, code: str, column: str = "code") -> int:
    rows = read_rows(directory, file)
    index = rows[0].index(column)
    return next(i + 1 for i, row in enumerate(rows) if i and row[index] == code)


def load_errors(directory: Path) -> list[str]:
    """Load a broken catalog: it must raise, and so return nothing."""
    result = None
    with pytest.raises(CatalogError) as info:
        result = load_catalog(directory)
    assert result is None
    assert str(info.value) == "\n".join(info.value.errors)
    return info.value.errors


def assert_reported(directory: Path, file: str, line: int, column: str, *fragments: str) -> str:
    errors = load_errors(directory)
    prefix = f'{file}, dòng {line}, cột "{column}"'
    matching = [e for e in errors if e.startswith(prefix)]
    assert matching, f"no error starting with {prefix!r} in:\n" + "\n".join(errors)
    for fragment in fragments:
        assert any(fragment in e for e in matching), (fragment, matching)
    return matching[0]


# --------------------------------------------------------------------------- shipped catalog
def test_shipped_catalog_loads_with_the_required_counts(catalog):
    assert len(catalog.competencies) >= 42
    assert len(catalog.providers) >= 8
    assert len(catalog.courses) >= 64
    assert len(catalog.positions) >= 16
    assert catalog.region_priorities


def test_every_kh1_group_is_present(catalog):
    """KH-1: political quality/ethics, execution, development."""
    groups = {c.group for c in catalog.competencies}
    assert groups == set(vocab.codes(vocab.COMPETENCY_GROUPS))


def test_every_position_requirement_references_a_known_competency(catalog):
    known = {c.code for c in catalog.competencies}
    for position in catalog.positions:
        assert 5 <= len(position.requirements) <= 10, position.code
        assert set(position.requirements) <= known, position.code
        assert all(1 <= level <= 4 for level in position.requirements.values())


def test_every_position_requires_ethics_and_basic_digital_skills(catalog):
    for position in catalog.positions:
        assert "DD-01" in position.requirements, position.code
        assert "CDS-01" in position.requirements, position.code


def test_every_required_level_is_reachable_by_some_course(catalog):
    """LC-P1: a gap the catalog cannot close would make "thiếu gì học nấy" a dead end."""
    for position in catalog.positions:
        for code, level in position.requirements.items():
            assert catalog.courses_teaching(code, level), (position.code, code, level)


def test_region_bumps_stay_reachable(catalog):
    """KH-9: a requirement raised by its region's bump is still taught by some course."""
    for priority in catalog.region_priorities:
        highest = max(p.requirements.get(priority.competency_code, 0) for p in catalog.positions)
        target = min(highest + priority.level_bump, vocab.MAX_LEVEL)
        assert catalog.max_level_taught(priority.competency_code) >= target, priority
    assert {p.region for p in catalog.region_priorities} == set(vocab.codes(vocab.REGIONS))


def test_every_competency_is_taught_up_to_level_three(catalog):
    for competency in catalog.competencies:
        assert catalog.max_level_taught(competency.code) >= 3, competency.code


def test_prerequisites_resolve_and_qualification_ladders_are_chained(catalog):
    codes = {c.code for c in catalog.courses}
    for course in catalog.courses:
        assert set(course.prerequisites) <= codes, course.code
    by_qualification = {c.qualification: c for c in catalog.courses if c.qualification}
    chains = [
        (("political_theory", "trung_cap"), ("political_theory", "so_cap")),
        (("political_theory", "cao_cap"), ("political_theory", "trung_cap")),
        (("state_management", "chuyen_vien_chinh"), ("state_management", "chuyen_vien")),
        (("it_level", "nang_cao"), ("it_level", "co_ban")),
    ]
    for upper, lower in chains:
        assert by_qualification[lower].code in by_qualification[upper].prerequisites


def test_shipped_courses_cover_the_named_families(catalog):
    granted = {c.qualification for c in catalog.courses}
    for q in [("political_theory", "so_cap"), ("political_theory", "trung_cap"),
              ("political_theory", "cao_cap"), ("state_management", "chuyen_vien"),
              ("state_management", "chuyen_vien_chinh"), ("it_level", "co_ban"),
              ("it_level", "nang_cao"), ("education", "dai_hoc"), ("education", "thac_si")]:
        assert q in granted, q
    lc_t1 = catalog.course("PTIT-DH-CNTT")        # LC-T1: PTIT IT degree cohort
    assert lc_t1.provider_code == "PTIT" and lc_t1.category == "degree"
    assert lc_t1.qualification == ("education", "dai_hoc") and lc_t1.hours >= 1000
    assert lc_t1.requires_approval
    assert {c.mode for c in catalog.courses} == set(vocab.codes(vocab.MODES))
    online = [c for c in catalog.courses if c.provider_code == "BDHVS"]
    assert len(online) >= 6 and all(c.mode == "online" and c.cost == 0 for c in online)
    assert any(c.validity_months for c in catalog.courses)
    kinds = {p.kind for p in catalog.providers}
    assert {"academy", "political_school", "college", "university", "online",
            "commune_centre"} <= kinds


def test_catalog_objects_are_immutable_and_hashable(catalog):
    course = catalog.courses[0]
    with pytest.raises(AttributeError):
        course.hours = 1
    assert len({*catalog.courses}) == len(catalog.courses)


def test_default_directory_is_next_to_the_module():
    assert DATA_DIR == Path(courses.__file__).resolve().parent / "data"


# --------------------------------------------------------------------------- accepted variants
def test_files_without_bom_and_with_semicolons_load(data):
    """Excel (vi-VN) saves CSV with ";" and sometimes without a BOM."""
    for file in ("courses.csv", "positions.csv"):
        rows = read_rows(data, file)
        write_rows(data, file, rows, delimiter=";", bom=False)
    loaded = load_catalog(data)
    assert loaded.course("BDHVS-VBDT").competencies == {"CDS-02": 2, "HC-02": 1}


def test_whitespace_labels_and_vietnamese_number_formats_are_accepted(data):
    line = line_of(data, "courses.csv", "TC-KTT")
    set_cell(data, "courses.csv", line, "mode", "  Trực tiếp ")
    set_cell(data, "courses.csv", line, "cost", "4.500.000")
    set_cell(data, "courses.csv", line, "pass_mark", "6,5")
    set_cell(data, "courses.csv", line, "competencies", " TC-02 : 4 ;TC-01:4; ")
    course = load_catalog(data).course("TC-KTT")
    assert (course.mode, course.cost, course.pass_mark) == ("in_person", 4_500_000, 6.5)
    assert course.competencies == {"TC-02": 4, "TC-01": 4}


def test_row_numbers_count_physical_lines_of_multiline_cells(data):
    set_cell(data, "courses.csv", 2, "description", "dòng một\ndòng hai")
    set_cell(data, "courses.csv", 3, "hours", "abc")
    assert_reported(data, "courses.csv", 4, "hours")


# --------------------------------------------------------------------------- broken copies
def test_missing_file(data):
    (data / "providers.csv").unlink()
    errors = load_errors(data)
    assert any(e.startswith("providers.csv") and "không tìm thấy" in e for e in errors)


def test_missing_column(data):
    rows = read_rows(data, "courses.csv")
    col = rows[0].index("hours")
    write_rows(data, "courses.csv", [r[:col] + r[col + 1:] for r in rows])
    assert_reported(data, "courses.csv", 1, "hours", "thiếu cột")


@pytest.mark.parametrize("file,column", [
    ("competencies.csv", "name"),
    ("providers.csv", "name"),
    ("courses.csv", "provider"),
    ("courses.csv", "requires_approval"),
    ("positions.csv", "requirements"),
    ("region_priorities.csv", "weight"),
])
def test_empty_required_field(data, file, column):
    set_cell(data, file, 3, column, "   ")
    assert_reported(data, file, 3, column, "không được để trống")


@pytest.mark.parametrize("file", ["competencies.csv", "providers.csv", "courses.csv",
                                  "positions.csv"])
def test_duplicate_code(data, file):
    rows = read_rows(data, file)
    set_cell(data, file, 5, "code", rows[1][0])
    message = assert_reported(data, file, 5, "code", "trùng")
    assert "dòng 2" in message.split(":", 1)[1]


def test_duplicate_region_priority(data):
    rows = read_rows(data, "region_priorities.csv")
    rows.append(rows[1])
    write_rows(data, "region_priorities.csv", rows)
    assert_reported(data, "region_priorities.csv", len(rows), "competency", "trùng")


@pytest.mark.parametrize("file,column,value,named", [
    ("competencies.csv", "group", "dao_duc", "dao_duc"),
    ("competencies.csv", "domain", "thue", "thue"),
    ("providers.csv", "kind", "trung_tam", "trung_tam"),
    ("courses.csv", "mode", "hybrid", "hybrid"),
    ("courses.csv", "category", "khac", "khac"),
    ("courses.csv", "qualification", "ngoai_ngu:bac_3", "ngoai_ngu"),
    ("courses.csv", "qualification", "political_theory:thac_si", "thac_si"),
    ("courses.csv", "qualification", "political_theory:none", "none"),
    ("positions.csv", "group", "lanh_dao", "lanh_dao"),
    ("positions.csv", "min_education", "cu_nhan", "cu_nhan"),
    ("positions.csv", "min_it", "gioi", "gioi"),
    ("region_priorities.csv", "region", "coastal", "coastal"),
])
def test_unknown_enum_value(data, file, column, value, named):
    set_cell(data, file, 2, column, value)
    assert_reported(data, file, 2, column, f'"{named}"', "không")


@pytest.mark.parametrize("file,column,value,fragment", [
    ("courses.csv", "competencies", "CDS-01:5", "ngoài khoảng 1–4"),
    ("courses.csv", "competencies", "CDS-01:0", "ngoài khoảng 1–4"),
    ("positions.csv", "requirements", "DD-01:2; CDS-01:0", "ngoài khoảng 1–4"),
    ("positions.csv", "requirements", "DD-01:-1", "ngoài khoảng 1–4"),
])
def test_level_outside_range(data, file, column, value, fragment):
    set_cell(data, file, 2, column, value)
    assert_reported(data, file, 2, column, fragment)


@pytest.mark.parametrize("value,fragment", [
    ("CDS-01", "sai định dạng"),
    ("CDS-01:2; DD-01", '"DD-01"'),
    ("CDS-01:abc", "không phải số nguyên"),
    ("CDS-01:2.5", "không phải số nguyên"),
    ("CDS-01:2; CDS-01:3", "hai lần"),
])
def test_malformed_list_item(data, value, fragment):
    set_cell(data, "courses.csv", 4, "competencies", value)
    assert_reported(data, "courses.csv", 4, "competencies", fragment)


def test_malformed_qualification(data):
    set_cell(data, "courses.csv", 2, "qualification", "political_theory")
    assert_reported(data, "courses.csv", 2, "qualification", "sai định dạng")


@pytest.mark.parametrize("file,column,value", [
    ("courses.csv", "competencies", "KHONG-CO:2"),
    ("courses.csv", "provider", "TRUONG-X"),
    ("courses.csv", "prerequisites", "LLCT-SC; KHOA-MA"),
    ("positions.csv", "requirements", "DD-01:2; KHONG-CO:3"),
    ("region_priorities.csv", "competency", "KHONG-CO"),
])
def test_unknown_reference(data, file, column, value):
    set_cell(data, file, 2, column, value)
    assert_reported(data, file, 2, column, "không có trong")


def test_prerequisite_cycle(data):
    # LLCT-CC needs LLCT-TC, which needs LLCT-SC: closing the loop must be reported once.
    line = line_of(data, "courses.csv", "LLCT-SC")
    set_cell(data, "courses.csv", line, "prerequisites", "LLCT-CC")
    message = assert_reported(data, "courses.csv", line, "prerequisites", "vòng lặp")
    assert all(code in message for code in ("LLCT-SC", "LLCT-TC", "LLCT-CC"))
    assert sum("vòng lặp" in e for e in load_errors(data)) == 1


def test_course_that_requires_itself(data):
    line = line_of(data, "courses.csv", "TC-NS")
    set_cell(data, "courses.csv", line, "prerequisites", "TC-NS")
    assert_reported(data, "courses.csv", line, "prerequisites", "vòng lặp")


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5", "12h"])
def test_hours_must_be_a_positive_integer(data, value):
    set_cell(data, "courses.csv", 12, "hours", value)
    message = assert_reported(data, "courses.csv", 12, "hours")
    assert message == f'courses.csv, dòng 12, cột "hours": "{value}" không phải số nguyên dương'


@pytest.mark.parametrize("value", ["10.5", "-1", "abc", "nan"])
def test_pass_mark_outside_zero_to_ten(data, value):
    set_cell(data, "courses.csv", 6, "pass_mark", value)
    assert_reported(data, "courses.csv", 6, "pass_mark")


@pytest.mark.parametrize("value", ["0", "-1", "abc"])
def test_validity_months_must_be_positive(data, value):
    set_cell(data, "courses.csv", 6, "validity_months", value)
    assert_reported(data, "courses.csv", 6, "validity_months")


def test_bad_cost(data):
    set_cell(data, "courses.csv", 6, "cost", "miễn phí")
    assert_reported(data, "courses.csv", 6, "cost")


@pytest.mark.parametrize("value", ["maybe", "có thể", "2"])
def test_bad_yes_no(data, value):
    set_cell(data, "courses.csv", 7, "requires_approval", value)
    assert_reported(data, "courses.csv", 7, "requires_approval", '"có" hoặc "không"')


@pytest.mark.parametrize("column,value", [("level_bump", "3"), ("level_bump", "-1"),
                                          ("weight", "0"), ("weight", "1.5")])
def test_bad_region_priority_numbers(data, column, value):
    set_cell(data, "region_priorities.csv", 2, column, value)
    assert_reported(data, "region_priorities.csv", 2, column)


def test_bad_code_characters(data):
    set_cell(data, "providers.csv", 2, "code", "HV CT")
    assert_reported(data, "providers.csv", 2, "code", "không hợp lệ")


def test_all_errors_are_collected_across_files(data):
    set_cell(data, "courses.csv", 3, "hours", "abc")
    set_cell(data, "courses.csv", 5, "mode", "hybrid")
    set_cell(data, "positions.csv", 4, "group", "x")
    set_cell(data, "competencies.csv", 2, "group", "y")
    errors = load_errors(data)
    for prefix in ('courses.csv, dòng 3, cột "hours"', 'courses.csv, dòng 5, cột "mode"',
                   'positions.csv, dòng 4, cột "group"', 'competencies.csv, dòng 2, cột "group"'):
        assert any(e.startswith(prefix) for e in errors), prefix
    assert len(errors) == 4           # no cascade of follow-on errors


def test_a_bad_competency_row_does_not_cascade_into_unknown_references(data):
    set_cell(data, "competencies.csv", line_of(data, "competencies.csv", "DD-01"), "group", "z")
    assert len(load_errors(data)) == 1


# --------------------------------------------------------------------------- degree modules
def test_shipped_degree_programmes_have_modules_that_add_up_to_their_hours(catalog):
    """LC-T1 / LC-T2: degrees are taught module by module, term by term."""
    expected = {"PTIT-DH-CNTT": (16, 4), "DH-QLNN": (8, 4), "DH-LUAT-VB2": (8, 4),
                "THS-QLC": (6, 3), "THS-QLKT": (6, 3), "CD-VTLT": (6, 3)}
    for code, (count, terms) in expected.items():
        modules = catalog.modules_of(code)
        assert len(modules) == count, code
        assert {m.term for m in modules} == set(range(1, terms + 1)), code
        assert sum(m.hours for m in modules) == catalog.course(code).hours, code
    names = {m.name for m in catalog.modules_of("PTIT-DH-CNTT")}
    assert {"Toán rời rạc", "Lập trình cơ bản", "Cơ sở dữ liệu", "Mạng máy tính",
            "An toàn thông tin", "Phân tích thiết kế hệ thống", "Chính phủ điện tử"} <= names
    assert {m.course_code for m in catalog.modules} == set(expected)
    assert catalog.modules_of("BDHVS-KNS") == []


def test_a_catalog_directory_without_modules_still_loads(data):
    (data / "modules.csv").unlink()
    loaded = load_catalog(data)
    assert loaded.modules == [] and loaded.course("PTIT-DH-CNTT") is not None


def test_module_objects_are_immutable(catalog):
    with pytest.raises(AttributeError):
        catalog.modules[0].hours = 1


@pytest.mark.parametrize("column,value,fragment", [
    ("course", "DH-KHONG-CO", "không có trong courses.csv"),
    ("term", "0", "học kỳ"),
    ("term", "11", "từ 1 đến 10"),
    ("term", "hai", "học kỳ"),
    ("hours", "0", "không phải số nguyên dương"),
    ("hours", "-30", "không phải số nguyên dương"),
    ("name", " ", "không được để trống"),
    ("code", "CNTT TRR", "không hợp lệ"),
])
def test_broken_module_row_names_file_row_and_column(data, column, value, fragment):
    set_cell(data, "modules.csv", 4, column, value)
    errors = load_errors(data)
    assert_reported(data, "modules.csv", 4, column, fragment)
    assert len(errors) == 1


def test_duplicate_module_code_within_a_course(data):
    rows = read_rows(data, "modules.csv")
    set_cell(data, "modules.csv", 5, "code", rows[1][1])        # same course, line 2's code
    message = assert_reported(data, "modules.csv", 5, "code", "trùng")
    assert "dòng 2" in message.split(":", 1)[1]


def test_the_same_module_code_in_two_courses_is_allowed(data):
    rows = read_rows(data, "modules.csv")
    write_rows(data, "modules.csv", rows + [["DH-QLNN", rows[1][1], "Tin học", "1", "30"]])
    assert len(load_catalog(data).modules_of("DH-QLNN")) == 9


def test_modules_file_missing_a_column(data):
    rows = read_rows(data, "modules.csv")
    write_rows(data, "modules.csv", [r[:3] + r[4:] for r in rows])
    assert_reported(data, "modules.csv", 1, "term", "thiếu cột")


def test_a_region_may_require_a_competency_of_every_position(data):
    """min_level (issue 13 §5): optional; an island requires sea sovereignty (BD-01) and defence
    (QP-01) at level 2 in the shipped catalog; a level beyond 4 is refused naming the cell."""
    catalog = load_catalog(data)
    floors = {(p.region, p.competency_code): p.min_level for p in catalog.region_priorities}
    assert floors[("island", "BD-01")] == 2 and floors[("island", "QP-01")] == 2
    assert floors[("urban", "DTH-01")] == 0
    set_cell(data, "region_priorities.csv", 2, "min_level", "5")
    assert_reported(data, "region_priorities.csv", 2, "min_level", "không hợp lệ")
    rows = read_rows(data, "region_priorities.csv")  # an older file without the column
    col = rows[0].index("min_level")
    write_rows(data, "region_priorities.csv", [r[:col] + r[col + 1:] for r in rows])
    assert all(p.min_level == 0 for p in load_catalog(data).region_priorities)
