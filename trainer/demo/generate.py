"""Deterministic demo province: "Tỉnh Lai Châu (mô phỏng)".

`generate_demo(n_officials, seed, today=)` adds, on top of the course catalog already in the
database (competencies, positions, providers, courses):

* the province, ~n/40 communes (mountain xã, lowland xã, urban phường, 1–2 island đặc khu) and
  the four departments of each commune (Decree 150/2025 organisation after 1/7/2025);
* officials with Vietnamese names fitting their region's ethnic make-up, valid and unique
  12-digit identification numbers, positions (leadership once per commune, the rest
  specialists), qualifications, ratings for 2024 and 2025 and for each quarter of this year
  that has ended (KH-7);
* supervisor (and some self) assessments of the competencies their position requires, so most
  officials have 1–4 gaps, some none, some many, and ~10% have never been assessed;
* a finished and an open cohort for ~25 in-person/blended courses, completed enrollments with
  their course-completion evidence (what `record_result` writes), a few failures, and seats
  taken in the open cohorts (never above capacity);
* demo accounts, all with the password "demo1234".

The same seed and `today` give the same rows (one `random.Random(seed)`; every catalog query is
ordered by code or id). Rows go in as plain tuples, never ORM objects, streamed while they are
drawn (`_insert_rows`: COPY on PostgreSQL, executemany in batches elsewhere), so a national
province of 250,000 officials builds in bounded memory; the function flushes and never commits.
"""
from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import cached_property
from itertools import islice
from typing import NamedTuple

import sqlalchemy as sa

from trainer.audit import operations as audit
from trainer.auth.models import User
from trainer.auth.operations import create_user
from trainer.catalog.models import (Course, CourseCompetency, Position, PositionRequirement,
                                    Provider, RegionPriority, course_prerequisites)
from trainer.cohorts.models import Attendance, CohortSession
from trainer.cohorts.operations import issue_certificates
from trainer.core import cache
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import today as real_today
from trainer.learning.models import Cohort, Enrollment
from trainer.learning.operations import ATTENDED_MODES, record_result
from trainer.org.models import Unit
from trainer.people.identity import make_pid
from trainer.people.models import Assessment, Official, Rating, UnitLeader
from trainer.people.periods import period_end

from . import names

PROVINCE_CODE = "LCU"
PROVINCE_NAME = "Tỉnh Lai Châu (mô phỏng)"
PID_PROVINCE = "012"  # Lai Châu in the identification-number province list
# Officials registered at birth elsewhere: neighbouring and lowland provinces.
OTHER_PID_PROVINCES = ("011", "010", "014", "015", "001", "025", "038", "036", "034", "035")
DEMO_PASSWORD = "demo1234"
EMAIL_DOMAIN = "laichau.gov.vn"
SCHOOL_LOCATION = "Trường Chính trị tỉnh Lai Châu"

# Departments of a commune People's Committee (DOMAIN.md). The economic department of a ward or
# special zone also covers infrastructure and urban affairs.
DEPARTMENTS = (
    ("VP", "Văn phòng HĐND và UBND"),
    ("KT", "Phòng Kinh tế"),
    ("VHXH", "Phòng Văn hóa – Xã hội"),
    ("TTHCC", "Trung tâm Phục vụ hành chính công"),
)
KT_URBAN = "Phòng Kinh tế, Hạ tầng và Đô thị"
KIND_WORD = {"commune": "Xã", "ward": "Phường", "special_zone": "Đặc khu"}


@dataclass
class DemoSummary:
    province_code: str = PROVINCE_CODE
    communes: int = 0
    departments: int = 0
    regions: dict[str, int] = field(default_factory=dict)  # communes per region
    officials: int = 0
    ratings: int = 0
    assessments: int = 0  # all rows, course-completion evidence included
    unassessed_officials: int = 0  # never assessed (by self, supervisor or test)
    cohorts: int = 0
    enrollments: int = 0
    completed_enrollments: int = 0
    failed_enrollments: int = 0
    active_enrollments: int = 0  # seats taken in open cohorts
    users: int = 0
    certificates: int = 0
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)
    review_cycle: object = None  # trainer.demo.cycle.CycleSummary, when build_demo added it


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def _rand_date(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _pick(rng: random.Random, pairs):
    """One value of (value, weight) pairs: `names.weighted`, the same draw as `rng.choices`."""
    return names.weighted(rng, pairs)


def _dept_key(position_name: str) -> str:
    """Which department of the commune a position sits in (by its name)."""
    n = position_name.lower()
    if "trung tâm" in n or "một cửa" in n or "hành chính công" in n:
        return "TTHCC"
    if any(w in n for w in ("kinh tế", "địa chính", "tài chính", "xây dựng", "nông nghiệp",
                            "môi trường", "đô thị")):
        return "KT"
    if any(w in n for w in ("văn hóa", "xã hội", "lao động", "dân tộc", "tôn giáo", "giáo dục",
                            "y tế")):
        return "VHXH"
    return "VP"


def _specialist_weight(position_name: str) -> float:
    n = position_name.lower()
    for word, weight in (("một cửa", 3.0), ("văn phòng", 2.0), ("địa chính", 2.0),
                         ("tư pháp", 1.5), ("tài chính", 1.5), ("văn hóa", 1.5)):
        if word in n:
            return weight
    return 1.0


FIELDS = (
    ("công nghệ thông tin", ("Công nghệ thông tin", "Khoa học máy tính", "Hệ thống thông tin")),
    ("tư pháp", ("Luật", "Luật kinh tế", "Luật hành chính")),
    ("văn thư", ("Lưu trữ học", "Quản trị văn phòng", "Văn thư – lưu trữ")),
    ("địa chính", ("Quản lý đất đai", "Kỹ thuật xây dựng", "Trắc địa – bản đồ")),
    ("tài chính", ("Kế toán", "Tài chính – ngân hàng", "Kế toán doanh nghiệp")),
    ("nội vụ", ("Quản lý nhà nước", "Hành chính học", "Quản trị nhân lực")),
    ("lao động", ("Công tác xã hội", "Quản trị nhân lực", "Kinh tế lao động")),
    ("dân tộc", ("Quản lý văn hóa", "Luật", "Việt Nam học")),
    ("văn hóa", ("Quản lý văn hóa", "Công tác xã hội", "Văn hóa học")),
    ("một cửa", ("Hành chính học", "Luật", "Quản trị văn phòng")),
    ("trung tâm", ("Hành chính học", "Quản lý nhà nước", "Luật")),
    ("kinh tế", ("Kinh tế nông nghiệp", "Kinh tế", "Quản lý đất đai")),
    ("văn phòng", ("Quản trị văn phòng", "Hành chính học", "Luật")),
    ("chủ tịch", ("Kinh tế nông nghiệp", "Luật", "Quản lý nhà nước",
                  "Xây dựng Đảng và chính quyền nhà nước", "Kinh tế")),
)


def _education_field(rng: random.Random, position_name: str) -> str:
    n = position_name.lower()
    for word, fields in FIELDS:
        if word in n:
            return rng.choice(fields)
    return rng.choice(("Hành chính học", "Luật", "Kinh tế", "Quản lý nhà nước"))


# Qualification mixes by position group (weights).
EDUCATION_MIX = {
    "leadership": (("dai_hoc", 68), ("thac_si", 32)),
    "manager": (("dai_hoc", 80), ("thac_si", 15), ("cao_dang", 5)),
    "specialist": (("dai_hoc", 77), ("cao_dang", 8), ("trung_cap", 9), ("thac_si", 6)),
}
POLITICAL_MIX = {
    "leadership": (("trung_cap", 30), ("cao_cap", 60), ("cu_nhan", 10)),
    "manager": (("so_cap", 8), ("trung_cap", 75), ("cao_cap", 17)),
    "specialist": (("none", 12), ("so_cap", 46), ("trung_cap", 38), ("cao_cap", 4)),
}
STATE_MGMT_MIX = {
    "leadership": (("chuyen_vien", 35), ("chuyen_vien_chinh", 65)),
    "manager": (("chuyen_vien", 75), ("chuyen_vien_chinh", 25)),
    "specialist": (("none", 10), ("chuyen_vien", 85), ("chuyen_vien_chinh", 5)),
}
IT_MIX = (("none", 8), ("co_ban", 80), ("nang_cao", 12))
IT_MIX_IT_STAFF = (("co_ban", 30), ("nang_cao", 70))
RATING_MIX = (("xuat_sac", 12), ("hoan_thanh_tot", 70), ("hoan_thanh", 15),
              ("khong_hoan_thanh", 3))
BIRTH_YEARS = {"leadership": (1968, 1986), "manager": (1970, 1992), "specialist": (1972, 2001)}
FEMALE_SHARE = {"leadership": 0.22, "manager": 0.42, "specialist": 0.56}
# How many of an official's required competencies the supervisor rates below the requirement.
GAP_COUNT_MIX = ((0, 12), (1, 18), (2, 22), (3, 19), (4, 12), (5, 7), (6, 5), (7, 3), (8, 2))


# --------------------------------------------------------------------------------------------
# Catalog (read once, ordered)
# --------------------------------------------------------------------------------------------

@dataclass
class _Catalog:
    positions: list  # rows (id, code, name, group) ordered by code
    requirements: dict  # position id -> [(competency id, level)] ordered by competency id
    bumps: dict  # (region, competency id) -> level bump
    courses: list  # rows ordered by code
    teaches: dict  # course id -> [(competency id, level)]
    has_prereq: set
    providers: dict  # id -> row
    for_gaps: dict = field(default_factory=dict)  # gaps -> courses teaching them (memo)

    @cached_property
    def course_by_id(self) -> dict:
        return {c.id: c for c in self.courses}

    @cached_property
    def courses_teaching(self) -> dict[int, list[int]]:
        """Competency id -> the courses teaching it, by code."""
        out: dict[int, list[int]] = defaultdict(list)
        for c in self.courses:
            for comp, _lvl in self.teaches.get(c.id, []):
                out[comp].append(c.id)
        return out


def _load_catalog() -> _Catalog:
    s = db.session
    positions = s.execute(sa.select(Position.id, Position.code, Position.name, Position.group)
                          .order_by(Position.code)).all()
    if not positions:
        raise DomainError("Chưa nạp danh mục vị trí việc làm và khóa học: hãy nạp danh mục "
                          "trước khi tạo dữ liệu mô phỏng.")
    requirements: dict[int, list] = defaultdict(list)
    for pid, cid, level in s.execute(
            sa.select(PositionRequirement.position_id, PositionRequirement.competency_id,
                      PositionRequirement.level)
            .order_by(PositionRequirement.position_id, PositionRequirement.competency_id)):
        requirements[pid].append((cid, int(level)))
    bumps = {(r, c): int(b) for r, c, b in s.execute(
        sa.select(RegionPriority.region, RegionPriority.competency_id, RegionPriority.level_bump)
        .order_by(RegionPriority.region, RegionPriority.competency_id))}
    courses = s.execute(sa.select(
        Course.id, Course.code, Course.name, Course.provider_id, Course.category, Course.mode,
        Course.hours, Course.pass_mark, Course.requires_approval).order_by(Course.code)).all()
    teaches: dict[int, list] = defaultdict(list)
    for course_id, cid, level in s.execute(
            sa.select(CourseCompetency.course_id, CourseCompetency.competency_id,
                      CourseCompetency.level)
            .order_by(CourseCompetency.course_id, CourseCompetency.competency_id)):
        teaches[course_id].append((cid, int(level)))
    has_prereq = {row[0] for row in s.execute(sa.select(course_prerequisites.c.course_id))}
    providers = {p.id: p for p in s.execute(
        sa.select(Provider.id, Provider.code, Provider.name, Provider.kind)
        .order_by(Provider.code))}
    return _Catalog(positions, dict(requirements), bumps, courses, dict(teaches), has_prereq,
                    providers)


# --------------------------------------------------------------------------------------------
# The generator: one step a section, called in the order they draw from the random generator
# (the same seed gives the same rows only while that order holds)
# --------------------------------------------------------------------------------------------

SELF_PACED_SINCE = date(2024, 1, 15)  # online courses were completed any time since
PROVINCE_HR = "Sở Nội vụ tỉnh Lai Châu"  # assessor of the commune chairmen (and the fallback)


@audit.as_one("")  # synthetic people: their results and assessments are not audit events
def generate_demo(n_officials: int = 1500, seed: int = 2026, *,
                  today: date | None = None) -> DemoSummary:
    """Add the demo province to the session (flushes, never commits). Deterministic for a given
    `seed` and `today`; raises DomainError when the catalog is missing or the province exists."""
    if n_officials < 1:
        raise DomainError("Số cán bộ mô phỏng phải từ 1 trở lên.")
    today = today or real_today()
    rng = random.Random(seed)
    if db.session.scalar(sa.select(Unit.id).where(Unit.code == PROVINCE_CODE)) is not None:
        raise DomainError(f"Đã có dữ liệu mô phỏng (đơn vị {PROVINCE_CODE}).")
    cat = _load_catalog()
    summary = DemoSummary()
    window = _assessment_window(today)

    with _foreign_keys_checked_once(Official, Rating, Assessment, Enrollment):
        province = _add_units(rng, n_officials)
        _count_units(summary, province)
        sizes = _commune_sizes(rng, n_officials, len(province.communes))
        people = _add_officials(rng, cat, province, sizes)
        summary.officials = len(people.ids)
        _insert_rows(UnitLeader, ("unit_id", "official_id"), _unit_leaders(province, people))
        summary.ratings = _add_ratings(rng, people.ids, seed, today)
        assessed = _assess(rng, cat, province.communes, people, window)
        cohorts = _add_cohorts(rng, cat, province.communes, today)
        summary.cohorts = len(cohorts.rows)

        reserved = _demo_official_candidates(cat, people, assessed, cohorts)
        enrolling = _Enrolling(cat, people.ids, cohorts, self_paced_until=window[1])
        population = [i for i in range(len(people.ids)) if i not in reserved]  # ≤ 3 reserved
        _complete_courses(rng, enrolling, population, assessed.gaps)
        _fail_courses(rng, enrolling, population)
        n_active = _take_open_seats(rng, enrolling, assessed.gaps, set(reserved))
        enrollment_ids = _bulk_insert(Enrollment, enrolling.rows)
        n_evidence = _insert_rows(Assessment, ASSESSMENT_COLUMNS,
                                  _course_evidence(cat, enrolling.rows, enrollment_ids))
    summary.certificates = _run_finished_cohorts(rng, cohorts, enrolling.rows, enrollment_ids)

    canbo, canbo_gaps, canbo_open = _pick_demo_official(reserved, people.ids, assessed.gaps,
                                                        cohorts.open, cohorts.seats)
    canbo_course = _demo_official_history(rng, cat, enrolling, people.ids[canbo],
                                          assessed.gaps[canbo], window[1])
    _count_learning(summary, cat, enrolling.rows, n_active, assessed, n_evidence,
                    len(people.ids), canbo_course)

    accounts = _demo_accounts(cat, province, people, canbo, canbo_gaps, canbo_open)
    _create_accounts(summary, accounts)
    db.session.flush()
    _statistics_refreshed()
    return summary


def _statistics_refreshed() -> None:
    """On PostgreSQL, ANALYZE the tables just filled, in the same transaction: the planner
    otherwise knows nothing of the new rows until autovacuum comes by (a minute or more), and
    meanwhile plans a read of one part of the province as a nested loop over every enrollment
    (300 ms instead of 3 ms for 1,024 officials' completions, measured)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE"))


# ---- units -----------------------------------------------------------------------------------

class _UnitRow(NamedTuple):
    """A unit as the generator knows it once written (no ORM object)."""
    id: int
    code: str
    name: str
    kind: str
    region: str | None


@dataclass
class _Province:
    unit: _UnitRow
    communes: list[_UnitRow]  # X.., then P.., then D.. codes
    departments: list[dict[str, _UnitRow]]  # per commune: department key -> unit


def _commune_specs(rng: random.Random, n_communes: int) -> list[tuple[str, str, str, str]]:
    """(code, name, kind, region) of each commune, ward and special zone, in code order."""
    n_island = 1 if n_communes < 20 else 2
    n_urban = max(1, round(n_communes * 0.08))
    n_rural = max(1, round(n_communes * 0.16))
    n_mountain = n_communes - n_island - n_urban - n_rural
    mountain, rural, urban, island = names.commune_names(n_mountain, n_rural, n_urban, n_island)
    xa = [(n, "mountain") for n in mountain[1:]] + [(n, "rural") for n in rural]
    rng.shuffle(xa)
    xa.insert(0, (mountain[0], "mountain"))  # LCU-X01 is a mountain commune (the hr.xa scope)
    return ([(f"{PROVINCE_CODE}-X{i:02d}", f"Xã {n}", "commune", r)
             for i, (n, r) in enumerate(xa, 1)]
            + [(f"{PROVINCE_CODE}-P{i:02d}", f"Phường {n}", "ward", "urban")
               for i, n in enumerate(urban, 1)]
            + [(f"{PROVINCE_CODE}-D{i:02d}", f"Đặc khu {n}", "special_zone", "island")
               for i, n in enumerate(island, 1)])


UNIT_COLUMNS = ("id", "code", "name", "kind", "region", "parent_id")


def _add_units(rng: random.Random, n_officials: int) -> _Province:
    """The province, ~n/40 communes under it and the four departments of each commune."""
    specs = _commune_specs(rng, max(4, int(n_officials / 40 + 0.5)))
    ids = iter(_new_ids(Unit, 1 + len(specs) * (1 + len(DEPARTMENTS))))
    province = _UnitRow(next(ids), PROVINCE_CODE, PROVINCE_NAME, "province", None)
    communes = [_UnitRow(next(ids), code, name, kind, region)
                for code, name, kind, region in specs]
    depts: list[dict[str, _UnitRow]] = []
    for unit in communes:
        lowered = KIND_WORD[unit.kind].lower() + unit.name[len(KIND_WORD[unit.kind]):]
        row = {}
        for key, dname in DEPARTMENTS:
            if key == "KT" and unit.kind != "commune":
                dname = KT_URBAN
            row[key] = _UnitRow(next(ids), f"{unit.code}-{key}", f"{dname} {lowered}",
                                "department", unit.region)
        depts.append(row)
    _insert_rows(Unit, UNIT_COLUMNS, [
        (province + (None,)),
        *(c + (province.id,) for c in communes),
        *(d + (c.id,) for c, row in zip(communes, depts) for d in row.values())])
    return _Province(province, communes, depts)


def _count_units(summary: DemoSummary, province: _Province) -> None:
    communes = province.communes
    summary.communes = len(communes)
    summary.departments = len(communes) * len(DEPARTMENTS)
    summary.regions = {r: sum(1 for c in communes if c.region == r)
                       for r in ("urban", "rural", "mountain", "island")}


# ---- officials -------------------------------------------------------------------------------

def _commune_sizes(rng: random.Random, n_officials: int, n_communes: int) -> list[int]:
    """Officials per commune: an even split, then some communes a little larger than others."""
    sizes = [n_officials // n_communes + (1 if i < n_officials % n_communes else 0)
             for i in range(n_communes)]
    base = max(1, n_officials // n_communes)
    for _ in range(n_communes):
        i, j = rng.randrange(n_communes), rng.randrange(n_communes)
        d = rng.randint(0, max(1, base // 8))
        if i != j and sizes[i] - d >= 0.85 * base and sizes[j] + d <= 1.3 * base:
            sizes[i] -= d
            sizes[j] += d
    return sizes


@dataclass
class _Slots:
    """The positions a commune fills: leaders and heads first (`leading`), then specialists."""
    leading: list  # the chairman, the other leaders by code (vice-chairmen twice), the heads
    specialists: list
    weights: list[float]  # of the specialists, for communes larger than the position list


def _position_slots(cat: _Catalog) -> _Slots:
    leaders = [p for p in cat.positions if p.group == "leadership"]
    leaders.sort(key=lambda p: (not p.name.startswith("Chủ tịch"), p.code))
    managers = [p for p in cat.positions if p.group == "manager"]
    specialists = [p for p in cat.positions if p.group == "specialist"] or list(cat.positions)
    lead_slots = []
    for p in leaders:
        lead_slots += [p] * (2 if p.name.startswith("Phó Chủ tịch") else 1)
    lead_slots += managers
    return _Slots(lead_slots, specialists, [_specialist_weight(p.name) for p in specialists])


def _commune_positions(rng: random.Random, slots: _Slots, size: int) -> list:
    """The positions of a commune of `size` officials: the leading ones, then every specialist
    position once in random order, then weighted draws."""
    chosen = slots.leading[:size]
    rest = size - len(chosen)
    order = list(slots.specialists)
    rng.shuffle(order)
    chosen += order[:rest]
    if rest > len(order):
        chosen += rng.choices(slots.specialists, weights=slots.weights, k=rest - len(order))
    return chosen


@dataclass
class _People:
    names: list[str]  # full names, in insertion order (code CB000001 is the first)
    meta: list[tuple]  # per official: (commune index, position row, department key or None)
    ids: list[int]  # the new Official ids

    def code(self, i: int) -> str:
        return _official_code(i + 1)


def _official_code(serial: int) -> str:
    return f"CB{serial:06d}"


OFFICIAL_COLUMNS = ("id", "code", "pid", "full_name", "birth_date", "gender", "ethnicity",
                    "unit_id", "position_id", "email", "education", "education_field",
                    "political_theory", "state_management", "it_level", "digital_signature",
                    "record_digitised")


@dataclass
class _Identities:
    """What must stay unique across the province while officials are drawn."""
    pids: set[str] = field(default_factory=set)
    emails: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # stem -> uses


def _official_row(rng: random.Random, oid: int, serial: int, pos, unit: _UnitRow,
                  depts: dict[str, _UnitRow], taken: _Identities) -> tuple[tuple, str | None]:
    """One official of `unit` in position `pos`: the Official row (OFFICIAL_COLUMNS) and their
    department key."""
    group = pos.group if pos.group in BIRTH_YEARS else "specialist"
    gender = "female" if rng.random() < FEMALE_SHARE[group] else "male"
    ethnicity = names.weighted(rng, names.ETHNIC_MIX[unit.region])
    full_name = names.full_name(rng, ethnicity, gender)
    y0, y1 = BIRTH_YEARS[group]
    year = rng.randint(y0, y1)
    birth = date(year, 1, 1) + timedelta(days=rng.randrange(365))
    prov = PID_PROVINCE if rng.random() < 0.85 else rng.choice(OTHER_PID_PROVINCES)
    while True:
        pid = make_pid(prov, birth, gender, rng.randrange(1, 1_000_000))
        if pid not in taken.pids:
            break
    taken.pids.add(pid)
    email = None
    if rng.random() < 0.9:
        stem = names.email_stem(full_name)
        taken.emails[stem] += 1
        k = taken.emails[stem]
        email = f"{stem}{k if k > 1 else ''}@{EMAIL_DOMAIN}"
    it_mix = IT_MIX_IT_STAFF if "công nghệ thông tin" in pos.name.lower() else IT_MIX
    dkey = None if group == "leadership" else _dept_key(pos.name)
    political = _pick(rng, POLITICAL_MIX[group])
    state_mgmt = _pick(rng, STATE_MGMT_MIX[group])
    if year > 1991:  # senior programmes come after years of service
        political = "trung_cap" if political in ("cao_cap", "cu_nhan") else political
        state_mgmt = "chuyen_vien" if state_mgmt != "none" else state_mgmt
    row = (  # drawn left to right, in the order of OFFICIAL_COLUMNS
        oid, _official_code(serial), pid, full_name, birth, gender, ethnicity,
        unit.id if dkey is None else depts[dkey].id, pos.id,
        email, _pick(rng, EDUCATION_MIX[group]), _education_field(rng, pos.name),
        political, state_mgmt, _pick(rng, it_mix),
        rng.random() < (0.85 if group != "specialist" else 0.55),
        rng.random() < 0.7)
    return row, dkey


def _add_officials(rng: random.Random, cat: _Catalog, province: _Province,
                   sizes: list[int]) -> _People:
    """Every commune's officials, commune by commune (codes CB000001, … in that order),
    written while they are drawn."""
    slots = _position_slots(cat)
    taken = _Identities()
    people = _People([], [], _new_ids(Official, sum(sizes)))

    def rows() -> Iterator[tuple]:
        for ci, unit in enumerate(province.communes):
            for pos in _commune_positions(rng, slots, sizes[ci]):
                i = len(people.meta)
                row, dkey = _official_row(rng, people.ids[i], i + 1, pos, unit,
                                          province.departments[ci], taken)
                people.names.append(row[3])
                people.meta.append((ci, pos, dkey))
                yield row

    _insert_rows(Official, OFFICIAL_COLUMNS, rows())
    assert len(people.meta) == len(people.ids), "the communes' sizes add up to the officials"
    return people


def _add_ratings(rng: random.Random, ids: list[int], seed: int, today: date) -> int:
    """Ratings for 2024 and 2025 (often the same both years), then a quarterly rating (KH-7) for
    each quarter of `today`'s year that has ended, usually the official's 2025 rating, some with
    the work results it rests on; how many rows. The quarters draw from their own
    `random.Random(seed + 13)`: the main draws, and so every other table's rows, stay as they
    were before quarters existed."""
    ended = [q for q in range(1, 5) if period_end("quarter", q, today.year) < today]
    quarters = random.Random(seed + 13)

    def rows() -> Iterator[tuple]:
        latest = []
        for oid in ids:
            r24 = _pick(rng, RATING_MIX)
            r25 = r24 if rng.random() < 0.6 else _pick(rng, RATING_MIX)
            yield oid, 2024, "year", 0, r24, ""
            yield oid, 2025, "year", 0, r25, ""
            latest.append(r25)
        for oid, r25 in zip(ids, latest):
            for q in ended:
                rating = r25 if quarters.random() < 0.7 else _pick(quarters, RATING_MIX)
                note = ""
                if quarters.random() < 0.4:
                    planned = quarters.randint(6, 20)
                    done = planned if rating in ("xuat_sac", "hoan_thanh_tot") else \
                        quarters.randint(planned // 2, planned)
                    note = f"Hoàn thành {done}/{planned} nhiệm vụ được giao trong quý {q}"
                yield oid, today.year, "quarter", q, rating, note

    return _insert_rows(Rating, ("official_id", "year", "period", "period_no", "rating", "note"),
                        rows())


# ---- assessments -----------------------------------------------------------------------------

def _assessment_window(today: date) -> tuple[date, date]:
    """The days assessments fall on: this year so far (the last 120 days early in January)."""
    start = date(2026, 1, 5)
    end = today - timedelta(days=1)
    if (end - start).days < 14:
        start = end - timedelta(days=120)
    return start, end


@dataclass
class _Assessed:
    gaps: list[list[int]]  # per official: competency ids below the requirement
    supervised: list[bool]  # per official: assessed by a supervisor
    rows: int = 0  # Assessment rows written: self and supervisor (course evidence comes later)
    officials: int = 0  # officials assessed by themselves or a supervisor


ASSESSMENT_COLUMNS = ("official_id", "competency_id", "level", "source", "assessed_on",
                      "assessor", "enrollment_id")


def _department_heads(people: _People) -> dict[tuple[int, str | None], str]:
    """(commune index, department key) → the head's name; (commune index, None) → the
    chairman's (the assessor field holds a name)."""
    heads: dict[tuple[int, str | None], str] = {}
    for i, (ci, pos, dkey) in enumerate(people.meta):
        if pos.name.startswith("Chủ tịch") and (ci, None) not in heads:
            heads[(ci, None)] = people.names[i]
        elif pos.group == "manager" and not pos.name.startswith("Phó") and (ci, dkey) not in heads:
            heads[(ci, dkey)] = people.names[i]
    return heads


def _unit_leaders(province: _Province, people: _People) -> Iterator[tuple[int, int]]:
    """(unit id, official id): each commune's chairman leads it, each department's head (the
    first manager whose title is not a deputy's) leads the department; no random draw."""
    seen: set[int] = set()
    for i, (ci, pos, dkey) in enumerate(people.meta):
        if pos.name.startswith("Chủ tịch"):
            unit_id = province.communes[ci].id
        elif pos.group == "manager" and not pos.name.startswith("Phó") and dkey is not None:
            unit_id = province.departments[ci][dkey].id
        else:
            continue
        if unit_id not in seen:
            seen.add(unit_id)
            yield unit_id, people.ids[i]


def _supervisor(heads: dict, ci: int, pos, dkey: str | None) -> str:
    """The commune chairman for leaders and heads, the head of the department for its staff;
    the province's HR for the chairman (and where nobody holds the post)."""
    if pos.name.startswith("Chủ tịch"):
        return PROVINCE_HR
    return (heads.get((ci, None)) if dkey is None or pos.group == "manager"
            else heads.get((ci, dkey)) or heads.get((ci, None))) or PROVINCE_HR


def _required_levels(cat: _Catalog, position_id: int, region: str) -> list[tuple[int, int]]:
    """(competency id, level) the position requires in the region (its priorities raise some):
    what the demo assesses. What a region adds to every position (`min_level`) is left
    unassessed, so the island's officials start with those gaps."""
    return [(c, min(4, max(1, lvl + cat.bumps.get((region, c), 0))))
            for c, lvl in cat.requirements.get(position_id, [])]


def _drawn_levels(rng: random.Random, reqs: list[tuple[int, int]]) -> dict[int, int]:
    """Levels with a few competencies (GAP_COUNT_MIX) below the requirement, some above."""
    k = min(len(reqs), _pick(rng, GAP_COUNT_MIX))
    below = set(rng.sample(range(len(reqs)), k))
    levels = {}
    for j, (c, req) in enumerate(reqs):
        if j in below:
            lvl = req - _pick(rng, ((1, 70), (2, 25), (3, 5)))
        else:
            lvl = req + (1 if rng.random() < 0.25 else 0)
        levels[c] = min(4, max(0, lvl))
    return levels


def _assess(rng: random.Random, cat: _Catalog, communes: list[_UnitRow], people: _People,
            window: tuple[date, date]) -> _Assessed:
    """Supervisor (and some self) assessments of the competencies each position requires;
    ~11% never assessed, ~5% by themselves only. Written while they are drawn."""
    assessed = _Assessed([[] for _ in people.ids], [False] * len(people.ids))
    assessed.rows = _insert_rows(Assessment, ASSESSMENT_COLUMNS,
                                 _assessment_rows(rng, cat, communes, people, window, assessed))
    return assessed


def _assessment_rows(rng: random.Random, cat: _Catalog, communes: list[_UnitRow],
                     people: _People, window: tuple[date, date],
                     assessed: _Assessed) -> Iterator[tuple]:
    """The Assessment rows (ASSESSMENT_COLUMNS) of `_assess`, filling in `assessed` (gaps, who
    was supervised) as they go."""
    start_a, end_a = window
    heads = _department_heads(people)
    gaps, supervised = assessed.gaps, assessed.supervised
    for i, oid in enumerate(people.ids):
        ci, pos, dkey = people.meta[i]
        reqs = _required_levels(cat, pos.id, communes[ci].region)
        u = rng.random()
        if u < 0.11 or not reqs:
            continue  # never assessed
        assessed.officials += 1
        levels = _drawn_levels(rng, reqs)
        on = _rand_date(rng, start_a, end_a)
        self_only = u < 0.16
        if self_only or rng.random() < 0.3:  # people rate themselves a little higher
            self_on = max(start_a - timedelta(days=30), on - timedelta(days=rng.randint(1, 20)))
            own = {c: min(4, lvl + (1 if rng.random() < 0.3 else 0)) for c, lvl in levels.items()}
            name = people.names[i]
            for c, lvl in own.items():
                yield oid, c, lvl, "self", self_on, name, None
            if self_only:  # no other evidence: the self-assessment is the current level
                levels = own
        if not self_only:
            supervised[i] = True
            assessor = _supervisor(heads, ci, pos, dkey)
            for c, lvl in levels.items():
                yield oid, c, lvl, "supervisor", on, assessor, None
        gaps[i] = [c for c, req in reqs if levels[c] < req]


# ---- cohorts ---------------------------------------------------------------------------------

@dataclass
class _Cohorts:
    rows: list[dict]  # Cohort rows with their "id", a finished then an open one per course
    seats: dict[int, int]  # cohort id -> seats left (taken as enrollments are drawn)

    @property
    def finished(self) -> dict[int, dict]:  # course id -> its finished cohort
        return {r["course_id"]: r for r in self.rows if r["status"] == "finished"}

    @property
    def open(self) -> list[dict]:
        return [r for r in self.rows if r["status"] == "open"]


def _bulk_ok(cat: _Catalog, c) -> bool:
    """A course a demo official may have completed without ado."""
    return c.category != "degree" and c.id not in cat.has_prereq and c.hours <= 240


def _classroom_courses(rng: random.Random, cat: _Catalog) -> list:
    """~25 in-person or blended courses, some of each demo school's among them, by code."""
    classroom = [c for c in cat.courses if c.mode in ("in_person", "blended")
                 and c.category != "degree" and c.hours <= 240]
    chosen: list = []
    school_ids = [p.id for p in cat.providers.values() if p.kind == "political_school"]
    ptit_ids = [p.id for p in cat.providers.values() if "Bưu chính" in p.name]
    for provider_ids, n in ((school_ids, 4), (ptit_ids, 3)):  # the demo schools have classes
        own = [c for c in classroom if c.provider_id in provider_ids]
        chosen += rng.sample(own, min(n, len(own)))
    rest = [c for c in classroom if c not in chosen]
    chosen += rng.sample(rest, max(0, min(25 - len(chosen), len(rest))))
    chosen.sort(key=lambda c: c.code)
    return chosen


def _cohort_location(rng: random.Random, cat: _Catalog, halls: list[str], course) -> str:
    p = cat.providers[course.provider_id]
    if p.kind == "political_school":
        return SCHOOL_LOCATION
    if p.kind == "college":
        return p.name
    if p.kind == "commune_centre":
        return rng.choice(halls)
    return f"{SCHOOL_LOCATION} (lớp liên kết với {p.name})"


def _cohort_days(rng: random.Random, hours: int) -> int:
    """How many days a cohort of a course of `hours` runs."""
    if hours <= 16:
        return rng.randint(1, 3)
    if hours <= 40:
        return rng.randint(5, 9)
    if hours <= 80:
        return rng.randint(14, 24)
    return min(150, int(hours / 8 * 1.6))


def _add_cohorts(rng: random.Random, cat: _Catalog, communes: list[_UnitRow],
                 today: date) -> _Cohorts:
    """A finished and an open cohort for each chosen classroom course."""
    chosen = _classroom_courses(rng, cat)
    halls = [f"Hội trường UBND {KIND_WORD[c.kind].lower()}{c.name[len(KIND_WORD[c.kind]):]}"
             for c in communes]
    cohort_rows = []
    seq: dict[tuple[str, int], int] = defaultdict(int)
    for c in chosen:
        days = _cohort_days(rng, c.hours)
        latest = today - timedelta(days=30 + days)
        earliest = min(date(2025, 2, 1), latest)
        start = _rand_date(rng, earliest, latest)
        seq[(c.code, start.year)] += 1
        cohort_rows.append(dict(
            course_id=c.id, code=f"{c.code}-{start.year}-{seq[(c.code, start.year)]:02d}",
            start_date=start, end_date=start + timedelta(days=days),
            capacity=rng.randint(25, 60), location=_cohort_location(rng, cat, halls, c),
            mode=c.mode, status="finished"))
        start = today + timedelta(days=rng.randint(30, 120))
        seq[(c.code, start.year)] += 1
        cohort_rows.append(dict(
            course_id=c.id, code=f"{c.code}-{start.year}-{seq[(c.code, start.year)]:02d}",
            start_date=start, end_date=start + timedelta(days=_cohort_days(rng, c.hours)),
            capacity=rng.randint(25, 60), location=_cohort_location(rng, cat, halls, c),
            mode=c.mode, status="open"))
    cohort_ids = _bulk_insert(Cohort, cohort_rows)
    for row, cid in zip(cohort_rows, cohort_ids):
        row["id"] = cid
    return _Cohorts(cohort_rows, {r["id"]: r["capacity"] for r in cohort_rows})


# ---- enrollments -----------------------------------------------------------------------------

def _courses_for_gaps(cat: _Catalog, gaps: list[int]) -> list[int]:
    """The courses teaching any of the competencies in `gaps`, by code (kept for each set of
    gaps: many officials share one)."""
    key = tuple(gaps)
    found = cat.for_gaps.get(key)
    if found is None:
        teaching = {cid for comp in gaps for cid in cat.courses_teaching.get(comp, [])}
        found = cat.for_gaps[key] = [c.id for c in cat.courses if c.id in teaching]
    return found


def _demo_official_candidates(cat: _Catalog, people: _People, assessed: _Assessed,
                              cohorts: _Cohorts) -> list[int]:
    """A few specialists of the first commune kept out of the random enrollments; the one whose
    learning path (the app's own recommender) goes through an open cohort becomes the demo
    official (`_pick_demo_official`)."""
    gaps = assessed.gaps
    open_course_ids = {r["course_id"] for r in cohorts.open}
    first = [i for i, m in enumerate(people.meta) if m[0] == 0 and m[1].group == "specialist"]
    reserved = [i for i in first if len(gaps[i]) >= 2 and assessed.supervised[i]
                and open_course_ids.intersection(_courses_for_gaps(cat, gaps[i]))]
    reserved = sorted(reserved, key=lambda i: not 2 <= len(gaps[i]) <= 4)[:3]
    if not reserved:
        reserved = [next((i for i in first if gaps[i]), first[0] if first else 0)]
    return reserved


class _Enrolling:
    """The enrollments being drawn: the rows, the courses each official already has, and the
    seats of the cohorts (`cohorts.seats`, taken as rows are added)."""

    def __init__(self, cat: _Catalog, ids: list[int], cohorts: _Cohorts, *,
                 self_paced_until: date):
        self.cat, self.ids, self.cohorts = cat, ids, cohorts
        self.finished = cohorts.finished
        self.self_paced_until = self_paced_until
        self.online_ok = [c.id for c in cat.courses if c.mode == "online" and _bulk_ok(cat, c)]
        self.order = self.online_ok + sorted(self.finished)  # of `any_course`
        # Available: online (and fit for a demo), or with a seat left in its finished cohort.
        self.open = set(self.online_ok) | {
            cid for cid, cohort in self.finished.items()
            if cat.course_by_id[cid].mode != "online" and cohorts.seats[cohort["id"]] > 0}
        self.taken: list[set[int]] = [set() for _ in ids]
        self.rows: list[dict] = []

    def any_course(self, i: int) -> list[int]:
        """Every course official `i` could have taken: the online ones, then the classroom."""
        taken, available = self.taken[i], self.open
        return [cid for cid in self.order if cid in available and cid not in taken]

    def complete(self, rng: random.Random, i: int, course_id: int, passed: bool) -> None:
        """Official `i` passed (or failed) the course: in its finished cohort, or self-paced."""
        c = self.cat.course_by_id[course_id]
        cohort = self.finished.get(course_id) if c.mode != "online" else None
        if cohort is not None:
            self.cohorts.seats[cohort["id"]] -= 1
            if self.cohorts.seats[cohort["id"]] <= 0:
                self.open.discard(course_id)
            on = cohort["end_date"]
        else:  # self-paced: any time since 2024 (not before the year a course is named for)
            year = re.search(r"\b(20\d\d)\b", c.name)
            on = _rand_date(rng, max(SELF_PACED_SINCE, date(int(year.group(1)), 1, 10))
                            if year else SELF_PACED_SINCE, self.self_paced_until)
        if passed:
            score = max(c.pass_mark, round(rng.triangular(c.pass_mark, 10,
                                                           min(10, c.pass_mark + 2.5)), 1))
        else:
            score = max(0.0, round(rng.uniform(2.0, max(2.0, c.pass_mark - 0.5)), 1))
        self.taken[i].add(course_id)
        self.rows.append(dict(
            official_id=self.ids[i], course_id=course_id,
            cohort_id=cohort["id"] if cohort else None,
            status="completed" if passed else "failed", score=score,
            completed_on=on if passed else None,
            source="import" if self.cat.providers[c.provider_id].kind == "online" else "school"))


def _complete_courses(rng: random.Random, enrolling: _Enrolling, population: list[int],
                      gaps: list[list[int]]) -> None:
    """30% of the population completed 1–3 courses, mostly ones closing their gaps."""
    learners = sorted(rng.sample(population, int(len(population) * 0.30)))
    for i in learners:
        for _ in range(_pick(rng, ((1, 45), (2, 35), (3, 20)))):
            taken = enrolling.taken[i]
            relevant = [cid for cid in _courses_for_gaps(enrolling.cat, gaps[i])
                        if cid not in taken and cid in enrolling.open]
            if relevant and rng.random() < 0.75:
                enrolling.complete(rng, i, rng.choice(relevant), True)
                continue
            pool = enrolling.any_course(i)
            if pool:
                enrolling.complete(rng, i, rng.choice(pool), True)


def _fail_courses(rng: random.Random, enrolling: _Enrolling, population: list[int]) -> None:
    """3% of the population failed a course (at least one official)."""
    failers = sorted(rng.sample(population, min(len(population),
                                                max(1, int(len(population) * 0.03)))))
    for i in failers:
        pool = enrolling.any_course(i)
        if pool:
            enrolling.complete(rng, i, rng.choice(pool), False)


def _take_open_seats(rng: random.Random, enrolling: _Enrolling, gaps: list[list[int]],
                     reserved: set[int]) -> int:
    """Seats in the open cohorts (30–80% of each) for officials whose gaps the course closes,
    never in two in-person or blended classes whose dates overlap (the rule enrollment keeps:
    learning.operations.clashing_enrollment); how many were taken."""
    cat, seats = enrolling.cat, enrolling.cohorts.seats
    gap_officials: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(gaps):
        for comp in g:
            gap_officials[comp].append(i)
    in_class: dict[int, list[tuple[date, date]]] = defaultdict(list)  # attended classes' dates

    def free(i: int, row: dict) -> bool:
        return row["mode"] not in ATTENDED_MODES or all(
            row["start_date"] > end or row["end_date"] < start for start, end in in_class[i])
    n_active = 0
    for row in enrolling.cohorts.open:
        course = cat.course_by_id[row["course_id"]]
        want = int(row["capacity"] * rng.uniform(0.3, 0.8))
        cands = sorted({i for comp, _l in cat.teaches.get(course.id, [])
                        for i in gap_officials.get(comp, [])
                        if i not in reserved and course.id not in enrolling.taken[i]
                        and free(i, row)})
        for i in rng.sample(cands, min(want, len(cands))):
            if row["mode"] in ATTENDED_MODES:
                in_class[i].append((row["start_date"], row["end_date"]))
            enrolling.taken[i].add(course.id)
            seats[row["id"]] -= 1
            n_active += 1
            enrolling.rows.append(dict(
                official_id=enrolling.ids[i], course_id=course.id, cohort_id=row["id"],
                status="requested" if course.requires_approval else "enrolled",
                score=None, completed_on=None, source="school"))
    return n_active


def _course_evidence(cat: _Catalog, enr_rows: list[dict], enr_ids: list[int]
                     ) -> Iterator[tuple]:
    """What record_result writes for a pass: the course's level on each competency it teaches
    (Assessment rows, ASSESSMENT_COLUMNS)."""
    for row, eid in zip(enr_rows, enr_ids):
        if row["status"] != "completed":
            continue
        c = cat.course_by_id[row["course_id"]]
        assessor = cat.providers[c.provider_id].name
        for comp, lvl in cat.teaches.get(c.id, []):
            yield row["official_id"], comp, lvl, "course", row["completed_on"], assessor, eid


def _run_finished_cohorts(rng: random.Random, cohorts: _Cohorts, enr_rows: list[dict],
                          enr_ids: list[int]) -> int:
    """Finished cohorts were run properly: a first and a last session with the roll taken (a
    few absences), then certificates under the rule (full attendance, every score ≥ 5). Returns
    how many certificates were issued."""
    s = db.session
    finished = cohorts.finished
    session_rows = []
    for row in finished.values():
        for day in sorted({row["start_date"], row["end_date"]}):
            session_rows.append(dict(cohort_id=row["id"], day=day, start_time=time(7, 30),
                                     end_time=time(11, 30), place=row["location"],
                                     online_link=""))
    session_ids = _bulk_insert(CohortSession, session_rows)
    sessions_of = defaultdict(list)
    for row, sid in zip(session_rows, session_ids):
        sessions_of[row["cohort_id"]].append(sid)
    attendance_rows = [
        dict(session_id=sid, enrollment_id=eid, present=rng.random() > 0.04)
        for row, eid in zip(enr_rows, enr_ids)
        if row["cohort_id"] in sessions_of and row["status"] in ("completed", "failed")
        for sid in sessions_of[row["cohort_id"]]]
    _bulk_insert(Attendance, attendance_rows, ids=False)
    s.flush()
    in_class = sorted({r["official_id"] for r in enr_rows if r["cohort_id"] in sessions_of})
    held = s.scalars(sa.select(Official).where(Official.id.in_(in_class))).all()  # noqa: F841
    # (held in the session at once, not loaded one by one as each certificate is told)
    certificates = 0
    for row in sorted(finished.values(), key=lambda r: r["code"]):
        certificates += issue_certificates(s.get(Cohort, row["id"]), on=row["end_date"])
    return certificates


def _demo_official_history(rng: random.Random, cat: _Catalog, enrolling: _Enrolling,
                           official_id: int, gaps: list[int], until: date) -> int | None:
    """The demo official completed one online course outside their gaps, through the real
    operation (record_result), so their history is not empty. The course, or None."""
    gap_set = set(gaps)
    extra = [cid for cid in enrolling.online_ok
             if not gap_set.intersection(comp for comp, _l in cat.teaches.get(cid, []))]
    if not extra:
        return None
    s = db.session
    enrollment = Enrollment(official_id=official_id, course_id=extra[0], cohort_id=None,
                            status="enrolled", source="import")
    s.add(enrollment)
    s.flush()
    done_on = _rand_date(rng, max(SELF_PACED_SINCE, until - timedelta(days=200)), until)
    record_result(enrollment, passed=True, score=9.0, on=done_on,
                  assessor=cat.providers[cat.course_by_id[extra[0]].provider_id].name)
    return extra[0]


def _count_learning(summary: DemoSummary, cat: _Catalog, enr_rows: list[dict], n_active: int,
                    assessed: _Assessed, n_evidence: int, n_officials: int,
                    canbo_course: int | None) -> None:
    """Enrollments and assessments in the summary (the demo official's course included)."""
    canbo_done = 1 if canbo_course is not None else 0
    summary.enrollments = len(enr_rows) + canbo_done
    summary.completed_enrollments = sum(r["status"] == "completed" for r in enr_rows) + canbo_done
    summary.failed_enrollments = sum(r["status"] == "failed" for r in enr_rows)
    summary.active_enrollments = n_active
    summary.assessments = assessed.rows + n_evidence + (len(cat.teaches.get(canbo_course, []))
                                                        if canbo_done else 0)
    summary.unassessed_officials = n_officials - assessed.officials


# ---- accounts --------------------------------------------------------------------------------

def _demo_accounts(cat: _Catalog, province: _Province, people: _People, canbo: int,
                   canbo_gaps: int, canbo_open: bool) -> list[tuple[str, str, str, dict, str]]:
    """(username, role, display name, scope, description) of each demo account."""
    first_commune = province.communes[0]
    school = next((p for p in cat.providers.values() if p.kind == "political_school"), None)
    ptit_p = next((p for p in cat.providers.values() if "Bưu chính" in p.name), None)
    canbo_name, canbo_code = people.names[canbo], people.code(canbo)
    accounts = [
        ("admin", "admin", "Quản trị hệ thống", {},
         "Quản trị: đơn vị, vị trí việc làm, khung năng lực, tài khoản"),
        ("hr.tinh", "hr", "Sở Nội vụ tỉnh Lai Châu (mô phỏng)", {"unit_id": province.unit.id},
         f"Cán bộ tổ chức cấp tỉnh: xem toàn bộ {PROVINCE_NAME}"),
        ("hr.xa", "hr", f"UBND {first_commune.name}", {"unit_id": first_commune.id},
         f"Cán bộ tổ chức {first_commune.name} ({first_commune.code})"),
    ]
    if school is not None:
        accounts.append(("truong.chinhtri", "school", school.name, {"provider_id": school.id},
                         f"Cơ sở đào tạo: {school.name}"))
    if ptit_p is not None:
        accounts.append(("truong.ptit", "school", ptit_p.name, {"provider_id": ptit_p.id},
                         f"Cơ sở đào tạo: {ptit_p.name}"))
    accounts.append(("canbo", "official", canbo_name,
                     {"official_id": people.ids[canbo]},
                     f"Công chức {canbo_name} ({canbo_code}), "
                     f"{people.meta[canbo][1].name}, {first_commune.name}: "
                     f"{canbo_gaps} năng lực còn thiếu"
                     + (", lộ trình có lớp đang tuyển" if canbo_open else "")))
    return accounts


def _create_accounts(summary: DemoSummary, accounts: list[tuple[str, str, str, dict, str]]
                     ) -> None:
    """Create the accounts not there yet (an existing one keeps its password); list the
    logins."""
    for username, role, display, scope, description in accounts:
        if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
            description += " (tài khoản đã có từ trước, mật khẩu giữ nguyên)"
        else:
            create_user(username, DEMO_PASSWORD, role, display, **scope)
            summary.users += 1
        summary.logins.append((role, username, DEMO_PASSWORD, description))


# ---- writing rows ----------------------------------------------------------------------------

BATCH_ROWS = 5_000  # rows a statement where COPY is not available (SQLite)


def _new_ids(model, n: int) -> list[int]:
    """`n` ids for new rows of `model`'s table, increasing. On PostgreSQL they are taken from the
    table's own sequence, so the rows written with them leave it right for later inserts; on
    SQLite they follow the largest id (where the next implicit id comes from)."""
    if n <= 0:
        return []
    db.session.flush()
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        return sorted(db.session.scalars(
            sa.text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) "
                    "FROM generate_series(1, :n)"), {"t": table.name, "n": n}))
    start = (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
    return list(range(start, start + n))


def _python_defaults(table: sa.Table, columns: tuple[str, ...]) -> dict[str, object]:
    """The values an INSERT through SQLAlchemy gives the columns left out (Python-side defaults:
    a constant, or a function such as `utcnow`, called once for the whole load)."""
    out = {}
    for col in table.columns:
        default = col.default
        if col.name in columns or default is None or col.primary_key:
            continue
        if default.is_scalar:
            out[col.name] = default.arg
        elif default.is_callable:
            out[col.name] = default.arg(None)  # SQLAlchemy wraps it to take the context
    return out


@contextmanager
def _foreign_keys_checked_once(*models):
    """On PostgreSQL, the foreign keys of `models`' tables are checked once for all the rows
    written inside the block, not row by row: a key checked at each row costs a query a row
    and key (most of the time of loading a national province). They are dropped for the block
    and added back, exactly as they were (`pg_get_constraintdef`), at its end, in the same
    transaction: adding a key checks every row with one query, and fails if one is wrong. The
    tables stay locked until the commit (`trainer setup --demo` runs alone). Elsewhere nothing
    changes."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    names = [m.__table__.name for m in models]
    keys = db.session.execute(sa.text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(:names) ORDER BY 1, 2"),
        {"names": names}).all()
    for table, name, _definition in keys:
        db.session.execute(sa.text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    try:
        yield
    finally:
        if not _transaction_failed():  # else the rollback brings them back
            db.session.flush()
            for table, name, definition in keys:
                db.session.execute(sa.text(
                    f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


def _transaction_failed() -> bool:
    from psycopg import pq
    raw = db.session.connection().connection.driver_connection
    return raw.info.transaction_status == pq.TransactionStatus.INERROR


def _insert_rows(model, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Write `rows` (tuples in the order of `columns`) into `model`'s table without ORM objects,
    as they come: one COPY on PostgreSQL, Core executemany in batches elsewhere. Columns left
    out get their Python-side defaults (as an ORM insert would) or the database's. Nothing else
    may use the session while `rows` is being drawn. Returns how many rows."""
    table = model.__table__
    db.session.flush()
    cache.mark_written(db.session)  # rows the session's watch does not see
    connection = db.session.connection()  # the session's transaction: one commit for it all
    count = 0
    if connection.dialect.name == "postgresql":
        defaults = _python_defaults(table, columns)
        fixed = tuple(defaults.values())
        names = columns + tuple(defaults)
        raw = connection.connection.driver_connection  # psycopg 3, inside the same transaction
        with raw.cursor() as cursor:
            types = dict(cursor.execute(
                "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attnum > 0 AND NOT attisdropped", (table.name,)).fetchall())
            with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN "
                             "(FORMAT BINARY)") as copy:
                copy.set_types([types[n] for n in names])  # binary: no text to parse
                write = copy.write_row
                for row in rows:
                    write(row + fixed)
                    count += 1
        return count
    insert = sa.insert(table)
    rows = iter(rows)
    while batch := list(islice(rows, BATCH_ROWS)):
        db.session.execute(insert, [dict(zip(columns, row)) for row in batch])
        count += len(batch)
    return count


def _bulk_insert(model, rows: list[dict], *, ids: bool = True) -> list[int]:
    """Write `rows` (dicts with the same keys) into `model`'s table; the new ids in the order of
    `rows` (none when `ids` is false: the database numbers them)."""
    if not rows:
        return []
    columns = tuple(rows[0])
    assert all(tuple(r) == columns for r in rows), f"{model.__name__} rows differ in columns"
    if not ids:
        _insert_rows(model, columns, (tuple(r.values()) for r in rows))
        return []
    new = _new_ids(model, len(rows))
    _insert_rows(model, ("id", *columns), ((i, *r.values()) for i, r in zip(new, rows)))
    return new


def _pick_demo_official(reserved: list[int], ids: list[int], gaps: list[list[int]],
                        open_cohorts: list[dict], seats: dict[int, int]) -> tuple[int, int, bool]:
    """The first reserved candidate whose learning path (guidance_for, what the official will
    see) includes a course with an open cohort that has seats; else the first candidate.
    Returns (index, number of gaps, whether the path has an open cohort)."""
    from trainer.guidance.operations import guidance_for

    open_courses = {r["course_id"] for r in open_cohorts if seats[r["id"]] > 0}
    for i in reserved:
        guidance = guidance_for(db.session.get(Official, ids[i]), with_mentors=False)
        if open_courses.intersection(step.course_id for step in guidance.path):
            return i, sum(1 for g in guidance.gaps if g.gap > 0), True
    return reserved[0], len(gaps[reserved[0]]), False
