"""Demand → cohorts, and commissioned training (đào tạo theo đặt hàng, KH-4).

Demand is read from the learning paths of all officials at once (LC-P1 "thiếu gì học nấy"): one
query per table, whole matrices, aggregated with pandas (STYLE.md §6). Proposals group the
officials who need a course by region and commune (KH-9) and order the invitations by a priority
score that favours young, female and ethnic-minority officials (KH-11). Operations flush, never
commit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app

from courses import vocab
from trainer.catalog.models import Course, Position
from trainer.core import events
from trainer.core.errors import DomainError, NotAllowed
from trainer.core.extensions import db
from trainer.core.frames import select_frame
from trainer.core.settings import DEFAULTS, young_age_limit
from trainer.core.timeutil import today, utcnow
from trainer.degrees.operations import DAYS_PER_YEAR, LC_T2_MIN_YEARS_LEFT, retirement_dates
from trainer.demand.models import REQUEST_STATUSES, CohortRequest
from trainer.guidance.operations import (REGION_CODES, Catalogue, Population, all_learning_paths,
                                         load_catalogue, load_population)
from trainer.learning.models import ACTIVE_STATUSES, Cohort, Enrollment
from trainer.learning.operations import (create_cohort, enrollment_closes, lock_row, seat_counts,
                                         taking_enrollments)
from trainer.learning.queries import MIN_COLUMNS, QUAL_COLUMNS, officials_frame
from trainer.org.models import Unit
from trainer.org.queries import unit_subtree_ids, unit_table
from trainer.people.models import Official

# Settings (docs/demand.md): PRIORITY_WEIGHTS overrides these; YOUNG_AGE_LIMIT is read by
# trainer.core.settings.young_age_limit ("young" has no legal definition, DOMAIN.md).
DEFAULT_WEIGHTS = DEFAULTS["PRIORITY_WEIGHTS"]
MANDATORY_LEVEL = 3  # a gap on a competency required at this level or above is a must
NO_REGION = "none"
REGION_LABELS = dict(vocab.REGIONS) | {NO_REGION: "Chưa xác định vùng"}


def priority_settings(weights: dict | None = None,
                      young_age: int | None = None) -> tuple[dict, int]:
    """The KH-11 priority settings the cohort proposals and the annual plans share: the weights
    (defaults, then the setting PRIORITY_WEIGHTS) and the young-official age limit."""
    if weights is None:
        weights = dict(DEFAULT_WEIGHTS) | dict(current_app.config.get("PRIORITY_WEIGHTS", {}))
    return weights, young_age_limit() if young_age is None else young_age


# --------------------------------------------------------------------------- who needs what


@dataclass
class Needs:
    """Officials (rows, aligned with `pop`) × courses (columns, `cat.course_ids`)."""
    cat: Catalogue
    pop: Population
    people: pd.DataFrame  # officials_frame rows in `pop` order
    in_path: np.ndarray   # N×K: the official's learning path includes the course
    lacks_qualification: np.ndarray  # N×K: the course grants a qualification the position needs

    @property
    def need(self) -> np.ndarray:
        return self.in_path | self.lacks_qualification

    def column(self, course_id: int) -> int:
        return self.cat.course_index[course_id]


def _path_matrix(paths, n_courses: int) -> np.ndarray:
    lengths = np.fromiter((len(p.courses) for p in paths), dtype=np.int64, count=len(paths))
    flat = np.fromiter((k for p in paths for k in p.courses), dtype=np.int64,
                       count=int(lengths.sum()))
    matrix = np.zeros((len(paths), n_courses), dtype=bool)
    matrix[np.repeat(np.arange(len(paths)), lengths), flat] = True
    return matrix


def _qualification_need(cat: Catalogue, pop: Population, people: pd.DataFrame) -> np.ndarray:
    """N×K: the course grants the qualification the official lacks for their position's standard
    (LC-5…LC-7) — at the lowest level offered that meets the standard, so someone short of a
    bachelor's degree is not counted for a master's. LC-T2: a degree course only for officials
    with more than 6 years of service left."""
    courses = select_frame(sa.select(Course.id, Course.qualification_kind,
                                     Course.qualification_level, Course.category)
                           .where(Course.qualification_kind.is_not(None)),
                           ["course_id", "kind", "level", "category"])
    positions = select_frame(sa.select(Position.id, *[getattr(Position, c)
                                                      for c in MIN_COLUMNS.values()]),
                             ["position_id", *MIN_COLUMNS.values()]).set_index("position_id")
    out = np.zeros((len(pop.official_ids), len(cat.course_ids)), dtype=bool)
    retire = retirement_dates(people["birth_date"], people["gender"])
    years_left = ((retire - pd.Timestamp(today())).dt.days / DAYS_PER_YEAR).fillna(0).to_numpy()
    for kind, column in QUAL_COLUMNS.items():  # four kinds: a loop over kinds, vectorised inside
        of_kind = courses[courses["kind"] == kind]
        if of_kind.empty:
            continue
        order = {code: i for i, code in enumerate(vocab.codes(vocab.QUALIFICATION_SCALES[kind]))}
        need = people["position_id"].map(positions[MIN_COLUMNS[kind]].map(order))
        need = need.astype("float64").fillna(0).to_numpy()
        have = people[column + "_rank"].to_numpy()
        grants = of_kind["level"].map(order).fillna(-1).to_numpy()
        offered = np.unique(grants[grants >= 0])
        at = np.searchsorted(offered, need)  # the lowest offered level meeting the standard
        target = np.where(at < offered.size, offered[np.minimum(at, offered.size - 1)], -1)
        lacking = (have < need) & (target >= 0)
        fits = lacking[:, None] & (grants[None, :] == target[:, None])
        degree = (of_kind["category"] == "degree").to_numpy()
        fits[:, degree] &= (years_left > LC_T2_MIN_YEARS_LEFT)[:, None]
        cols = of_kind["course_id"].map(cat.course_index).to_numpy(dtype=np.int64)
        out[:, cols] = fits
    return out & ~pop.blocked


def compute_needs(where=None) -> Needs:
    """Learning paths and qualification gaps for the officials matching `where` (all by default),
    computed once for all of them."""
    cat = load_catalogue()
    pop = load_population(cat, where)
    people = officials_frame(where).set_index("id").reindex(pop.official_ids)
    in_path = _path_matrix(all_learning_paths(cat, pop), len(cat.course_ids))
    return Needs(cat=cat, pop=pop, people=people, in_path=in_path,
                 lacks_qualification=_qualification_need(cat, pop, people))


# --------------------------------------------------------------------------- demand table


@dataclass
class DemandReport:
    courses: pd.DataFrame   # one row per course of the provider
    communes: pd.DataFrame  # course × commune: need, registered


def _registered(course_ids: list[int]) -> pd.DataFrame:
    """Officials with an active enrollment in each course (one row per official and course), and
    whether it is in an open cohort."""
    frame = select_frame(
        sa.select(Enrollment.course_id, Enrollment.official_id, Official.unit_id,
                  sa.func.max(sa.case((Cohort.status == "open", 1), else_=0)))
        .join(Official, Official.id == Enrollment.official_id)
        .outerjoin(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Enrollment.course_id.in_(course_ids), Enrollment.status.in_(ACTIVE_STATUSES))
        .group_by(Enrollment.course_id, Enrollment.official_id, Official.unit_id),
        ["course_id", "official_id", "unit_id", "in_open_cohort"])
    return frame.astype({"course_id": "int64", "unit_id": "int64", "in_open_cohort": "int64"})


def _open_seats(course_ids: list[int]) -> pd.DataFrame:
    """Per course: open cohorts still taking enrollments and their free seats."""
    taken = seat_counts()
    frame = select_frame(
        sa.select(Cohort.course_id, Cohort.capacity, sa.func.coalesce(taken.c.n, 0))
        .outerjoin(taken, taken.c.cohort_id == Cohort.id)
        .where(Cohort.course_id.in_(course_ids), taking_enrollments()),
        ["course_id", "capacity", "taken"])
    if frame.empty:
        return pd.DataFrame({"open_cohorts": pd.Series(dtype="int64"),
                             "open_seats": pd.Series(dtype="int64")})
    frame = frame.assign(free=(frame["capacity"] - frame["taken"]).clip(lower=0))
    return frame.groupby("course_id").agg(open_cohorts=("capacity", "size"),
                                          open_seats=("free", "sum"))


def demand_report(provider_id: int | None, *, needs: Needs | None = None) -> DemandReport:
    """Demand for each course of a provider (all providers when None): officials whose learning
    path includes it or who lack the qualification it grants, by commune and region, next to those
    already registered and the seats still open."""
    q = sa.select(Course.id, Course.code, Course.name, Course.mode, Course.provider_id)
    if provider_id is not None:
        q = q.where(Course.provider_id == provider_id)
    courses = select_frame(q.order_by(Course.code),
                           ["course_id", "code", "name", "mode", "provider_id"])
    course_ids = [int(c) for c in courses["course_id"]]
    needs = needs or compute_needs()
    cols = [needs.column(c) for c in course_ids]
    people = needs.people
    commune = people["commune_id"].fillna(-1).astype("int64").to_numpy()
    region = np.where(needs.pop.region >= 0,
                      np.array(REGION_CODES + (NO_REGION,), dtype=object)[needs.pop.region],
                      NO_REGION)

    def by_commune(matrix: np.ndarray, name: str) -> pd.Series:
        frame = pd.DataFrame(matrix[:, cols].astype(np.int64), columns=course_ids)
        grouped = frame.groupby([commune, region]).sum()
        grouped.index.names = ["commune_id", "region"]
        return grouped.stack().rename_axis(["commune_id", "region", "course_id"]).rename(name)

    long = pd.concat([by_commune(needs.need, "need"), by_commune(needs.in_path, "in_path"),
                      by_commune(needs.lacks_qualification, "qualification")], axis=1)

    registered = _registered(course_ids)
    units = unit_table().set_index("unit_id")
    registered["commune_id"] = registered["unit_id"].map(units["commune_id"]).astype("int64")
    registered["region"] = registered["unit_id"].map(units["region"]).fillna(NO_REGION)
    reg_long = registered.groupby(["commune_id", "region", "course_id"]).agg(
        registered=("official_id", "size"), in_open_cohort=("in_open_cohort", "sum"))
    long = long.join(reg_long, how="outer").fillna(0).astype("int64").reset_index()
    long = long[(long["need"] > 0) | (long["registered"] > 0)].copy()
    names = units.drop_duplicates("commune_id").set_index("commune_id")["commune_name"]
    long["commune_name"] = long["commune_id"].map(names).fillna("—")

    totals = long.groupby("course_id")[["need", "in_path", "qualification", "registered",
                                        "in_open_cohort"]].sum()
    per_region = long.pivot_table(index="course_id", columns="region", values="need",
                                  aggfunc="sum", fill_value=0)
    per_region = per_region.reindex(columns=list(REGION_CODES) + [NO_REGION], fill_value=0)
    per_region.columns = [f"need_{r}" for r in per_region.columns]
    communes = long[long["need"] > 0].groupby("course_id")["commune_id"].nunique().rename(
        "communes")
    table = (courses.set_index("course_id").join(totals).join(per_region).join(communes)
             .join(_open_seats(course_ids)))
    numeric = [c for c in table.columns if c not in ("code", "name", "mode", "provider_id")]
    table[numeric] = table[numeric].fillna(0).astype("int64")
    # Seats still to be found: demand beyond what the open cohorts can take.
    table["unplaced"] = (table["need"] - table["open_seats"]).clip(lower=0)
    table = table.reset_index().sort_values(["need", "code"], ascending=[False, True])
    return DemandReport(courses=table.reset_index(drop=True),
                        communes=long.sort_values(["course_id", "region", "need", "commune_name"],
                                                  ascending=[True, True, False, True])
                        .reset_index(drop=True))


def course_demand_table(provider_id: int | None) -> pd.DataFrame:
    """One row per course of the provider: need (and its parts in_path / qualification), need per
    region (need_urban, need_rural, …), communes, registered, in_open_cohort, open_cohorts,
    open_seats, unplaced; sorted by need."""
    return demand_report(provider_id).courses


# --------------------------------------------------------------------------- proposals


@dataclass
class Invitee:
    official_id: int
    full_name: str
    unit_name: str
    commune_name: str
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class Proposal:
    """One class to open: officials of one region, communes kept together, best priority first."""
    region: str
    number: int  # 1-based within the course's proposals
    invitees: list[Invitee]

    @property
    def region_label(self) -> str:
        return REGION_LABELS.get(self.region, self.region)

    @property
    def size(self) -> int:
        return len(self.invitees)

    @property
    def communes(self) -> list[str]:
        return list(dict.fromkeys(i.commune_name for i in self.invitees))


def balanced_sizes(n: int, class_size: int) -> list[int]:
    """ceil(n / class_size) classes whose sizes differ by at most one: 5 by 3 → [3, 2]."""
    if n <= 0:
        return []
    classes = math.ceil(n / class_size)
    base, extra = divmod(n, classes)
    return [base + 1] * extra + [base] * (classes - extra)


def priority_scores(needs: Needs, course_id: int, rows: np.ndarray, weights: dict,
                    young_age: int) -> pd.DataFrame:
    """KH-11 priority of the officials at `rows` for one course, with its parts."""
    cat, pop = needs.cat, needs.pop
    k = needs.column(course_id)
    taught = cat.course_levels[k].astype(np.int64)
    req = pop.required[rows].astype(np.int64)
    have = pop.planned[rows].astype(np.int64)
    closed = np.clip(np.minimum(req, taught[None, :]) - have, 0, None)  # gap closed per competency
    gap = (closed * pop.weight[rows]).sum(axis=1)
    top = gap.max() if gap.size else 0.0
    gap_norm = gap / top if top > 0 else np.zeros_like(gap)
    mandatory = ((closed > 0) & (req >= MANDATORY_LEVEL)).any(axis=1)
    mandatory |= needs.lacks_qualification[rows, k]
    people = needs.people.iloc[rows]
    young = (people["age"] < young_age).to_numpy(dtype=bool)
    female = (people["gender"] == "female").to_numpy(dtype=bool)
    minority = people["minority"].to_numpy(dtype=bool)
    w = {key: float(weights.get(key, 0.0)) for key in DEFAULT_WEIGHTS}
    score = (w["gap"] * gap_norm + w["mandatory"] * mandatory + w["young"] * young
             + w["female"] * female + w["minority"] * minority)
    return pd.DataFrame({"gap": gap_norm, "mandatory": mandatory, "young": young,
                         "female": female, "minority": minority, "score": score})


def _reasons(row) -> list[str]:
    out = []
    if row.gap > 0:
        out.append(f"thiếu hụt {row.gap:.0%}")
    if row.mandatory:
        out.append("bắt buộc theo vị trí")
    if row.young:
        out.append("trẻ")
    if row.female:
        out.append("nữ")
    if row.minority:
        out.append("dân tộc thiểu số")
    return out


def check_course_provider(course: Course, provider_id: int | None) -> None:
    """A school acts only on its own provider's courses (None: admin, any provider)."""
    if provider_id is not None and course.provider_id != provider_id:
        raise NotAllowed(f"Khóa “{course.name}” không thuộc cơ sở đào tạo của bạn.")


def propose_cohorts(course: Course, *, class_size: int, weights: dict,
                    young_age: int | None = None,
                    needs: Needs | None = None) -> list[Proposal]:
    """Classes for the officials who need `course` and are not yet registered in it.

    KH-9: one region per class (nearby units study together); inside a region the officials are
    laid out commune by commune and cut into ceil(n / class_size) classes of balanced sizes, so
    a commune is split only where a class is full. Each class lists its invitees by priority:
    weights["gap"] × normalised weighted gap closed + weights["mandatory"] × (closes a gap on a
    competency required at level ≥ 3, or grants a missing standard qualification) +
    weights["young"|"female"|"minority"] × the KH-11 flags."""
    if class_size < 1:
        raise DomainError("Sĩ số mỗi lớp phải từ 1 trở lên.")
    needs = needs or compute_needs()
    k = needs.column(course.id)
    rows = np.flatnonzero(needs.need[:, k])  # blocked (registered or done) rows are never here
    if rows.size == 0:
        return []
    scores = priority_scores(needs, course.id, rows, weights,
                             young_age_limit() if young_age is None else young_age)
    people = needs.people.iloc[rows]
    region_idx = needs.pop.region[rows]
    frame = pd.DataFrame({
        "row": rows, "official_id": needs.pop.official_ids[rows],
        "region": np.where(region_idx >= 0,
                           np.array(REGION_CODES + (NO_REGION,), dtype=object)[region_idx],
                           NO_REGION),
        "commune_id": people["commune_id"].fillna(-1).to_numpy(),
        "commune_name": people["commune_name"].fillna("—").to_numpy(),
        "unit_name": people["unit_name"].fillna("—").to_numpy(),
        "full_name": people["full_name"].to_numpy(),
    }).join(scores.reset_index(drop=True))
    # Communes in a region: largest first, so big communes fill whole classes.
    frame["commune_size"] = frame.groupby("commune_id")["row"].transform("size")
    frame = frame.sort_values(["region", "commune_size", "commune_name", "commune_id", "score",
                               "official_id"],
                              ascending=[True, False, True, True, False, True])
    region_sizes = frame.groupby("region").size().sort_values(ascending=False, kind="stable")
    proposals: list[Proposal] = []
    for region in region_sizes.index:  # four regions at most
        members = frame[frame["region"] == region]
        start = 0
        for size in balanced_sizes(len(members), class_size):
            part = members.iloc[start:start + size].sort_values(
                ["score", "official_id"], ascending=[False, True])
            start += size
            invitees = [Invitee(official_id=int(r.official_id), full_name=r.full_name,
                                unit_name=r.unit_name, commune_name=r.commune_name,
                                score=round(float(r.score), 3), reasons=_reasons(r))
                        for r in part.itertuples()]
            proposals.append(Proposal(region=str(region), number=len(proposals) + 1,
                                      invitees=invitees))
    return proposals


def create_proposed_cohorts(course: Course, proposals: list[Proposal], *, code_prefix: str,
                            start_date: date, end_date: date, capacity: int, location: str,
                            mode: str, enrollment_deadline: date | None = None,
                            provider_id: int | None = None) -> list[Cohort]:
    """Open one cohort per proposal (codes PREFIX-01, PREFIX-02, …) and invite its officials.
    An invitation is not an enrollment: the official enrolls from their page (/toi)."""
    check_course_provider(course, provider_id)
    if not proposals:
        raise DomainError(f"Không có cán bộ nào cần khóa “{course.name}” để mở lớp.")
    code_prefix = code_prefix.strip()
    if not code_prefix:
        raise DomainError("Nhập mã lớp (tiền tố).")
    if start_date <= today():
        raise DomainError("Ngày khai giảng phải sau hôm nay.")
    largest = max(p.size for p in proposals)
    if capacity < largest:
        raise DomainError(f"Sĩ số tối đa {capacity} nhỏ hơn lớp đề xuất lớn nhất ({largest}).")
    officials = {o.id: o for o in db.session.scalars(sa.select(Official).where(Official.id.in_(
        [i.official_id for p in proposals for i in p.invitees])))}
    cohorts = []
    for p in proposals:
        code = f"{code_prefix}-{p.number:02d}"
        cohort = create_cohort(course, code=code, start_date=start_date, end_date=end_date,
                               capacity=capacity, location=location, mode=mode,
                               enrollment_deadline=enrollment_deadline)
        closes = enrollment_closes(cohort)
        for invitee in p.invitees:
            events.tell(officials[invitee.official_id], "invited",
                        f"Mời đăng ký lớp {code}: “{course.name}”",
                        f"Khóa học này có trong lộ trình của bạn. Lớp khai giảng ngày "
                        f"{start_date:%d/%m/%Y} tại {location or 'địa điểm sẽ báo sau'}; hạn đăng ký "
                        f"{closes:%d/%m/%Y}. Mời bạn vào trang cá nhân để đăng ký.",
                        link="/toi", dedupe_key=f"invited:{cohort.id}:{invitee.official_id}")
        cohorts.append(cohort)
    db.session.flush()
    return cohorts


# --------------------------------------------------------------------------- commissioning


def commission_training(unit: Unit, course: Course, officials: list[Official], *,
                        requested_by: str, note: str = "") -> CohortRequest:
    """HR of `unit` commissions `course` for some of its officials (KH-4)."""
    officials = list({o.id: o for o in officials}.values())
    if not officials:
        raise DomainError("Chưa chọn cán bộ nào cho yêu cầu đặt hàng.")
    scope = set(unit_subtree_ids(unit.id))
    outside = sum(1 for o in officials if o.unit_id not in scope)
    if outside:  # never named: they are not the unit's to see
        raise NotAllowed(f"{outside} cán bộ đã chọn không thuộc đơn vị {unit.name}: chỉ đặt hàng "
                         f"cho cán bộ của đơn vị.")
    request = CohortRequest(unit_id=unit.id, course_id=course.id, requested_by=requested_by,
                            note=note.strip(), status="submitted", officials=officials)
    db.session.add(request)
    db.session.flush()
    return request


def _status_label(req: CohortRequest) -> str:
    return vocab.label(REQUEST_STATUSES, req.status, req.status)


def accept_request(req: CohortRequest, *, provider_id: int | None = None) -> None:
    check_course_provider(req.course, provider_id)
    if req.status != "submitted":
        raise DomainError(f"Chỉ nhận được yêu cầu đang chờ (yêu cầu này: {_status_label(req)}).")
    req.status, req.decided_at = "accepted", utcnow()
    db.session.flush()


def reject_request(req: CohortRequest, *, response: str, provider_id: int | None = None) -> None:
    check_course_provider(req.course, provider_id)
    if req.status not in ("submitted", "accepted"):
        raise DomainError(f"Không thể từ chối yêu cầu đã {_status_label(req).lower()}.")
    if not response.strip():
        raise DomainError("Cần ghi lý do từ chối.")
    req.status, req.response, req.decided_at = "rejected", response.strip(), utcnow()
    db.session.flush()


@dataclass
class Scheduled:
    cohort: Cohort
    enrolled: list[Official]
    skipped: list[Official]  # already registered in (or done with) the course


def schedule_request(req: CohortRequest, *, code: str, start_date: date, end_date: date,
                     capacity: int, location: str, mode: str,
                     provider_id: int | None = None) -> Scheduled:
    """Open the commissioned cohort and enroll the listed officials directly: the unit's HR
    approved them by commissioning. Those already registered in the course are skipped."""
    check_course_provider(req.course, provider_id)
    if req.status != "accepted":
        raise DomainError(f"Chỉ xếp lớp được yêu cầu đã nhận (yêu cầu này: {_status_label(req)}).")
    listed = sorted(req.officials, key=lambda o: o.id)
    if capacity < len(listed):
        raise DomainError(f"Sĩ số tối đa {capacity} nhỏ hơn số cán bộ được đặt hàng "
                          f"({len(listed)}).")
    if start_date <= today():
        raise DomainError("Ngày khai giảng phải sau hôm nay.")
    for official in listed:  # lock order: officials, then cohort (learning.operations.lock_row)
        lock_row(Official, official.id)
    cohort = create_cohort(req.course, code=code.strip(), start_date=start_date,
                           end_date=end_date, capacity=capacity, location=location, mode=mode,
                           commissioned_by_unit_id=req.unit_id)
    busy = set(db.session.scalars(sa.select(Enrollment.official_id).where(
        Enrollment.course_id == req.course_id,
        Enrollment.official_id.in_([o.id for o in listed]),
        Enrollment.status.in_(ACTIVE_STATUSES + ("completed",)))))
    enrolled, skipped = [], []
    for official in listed:
        if official.id in busy:
            skipped.append(official)
            continue
        db.session.add(Enrollment(official_id=official.id, course_id=req.course_id,
                                  cohort_id=cohort.id, status="enrolled", source="school",
                                  decided_by=req.requested_by))
        events.tell(official, "enrolled", f"Đã ghi danh lớp {cohort.code} (đơn vị đặt hàng)",
                    f"Đơn vị {req.unit.name} đã đặt hàng khóa “{req.course.name}” cho bạn. Lớp khai "
                    f"giảng ngày {start_date:%d/%m/%Y} tại {location or 'địa điểm sẽ báo sau'}.",
                    link="/khoa-hoc-cua-toi")
        enrolled.append(official)
    req.status, req.cohort_id, req.decided_at = "scheduled", cohort.id, utcnow()
    db.session.flush()
    return Scheduled(cohort=cohort, enrolled=enrolled, skipped=skipped)
