"""The JSON vocabulary of a target's `population` and `criterion` (docs/targets.md): what keys
exist, how they are checked (Vietnamese messages) and how they read in Vietnamese.

Kept small on purpose: every key here is evaluated in `trainer.targets.facts`, documented in
docs/targets.md and offered by the form. A key not listed here is refused, so a typo never
silently widens a population."""
from __future__ import annotations

from datetime import date

from courses import vocab

POSITION_GROUP_CODES = vocab.codes(vocab.POSITION_GROUPS)
REGION_CODES = vocab.codes(vocab.REGIONS)
GENDER_CODES = vocab.codes(vocab.GENDERS)
CATEGORY_CODES = vocab.codes(vocab.COURSE_CATEGORIES)
GROUP_CODES = vocab.codes(vocab.COMPETENCY_GROUPS)
DOMAIN_CODES = vocab.codes(vocab.COMPETENCY_DOMAINS)
RATING_CODES = vocab.codes(vocab.RATINGS)
RATING_PERIOD_CODES = vocab.codes(vocab.RATING_PERIODS)

POPULATION_KEYS = ("unit_id", "position_groups", "position_codes", "has_position", "regions",
                   "gender", "minority", "young", "qualification", "field_mismatch")

CRITERION_KINDS = (
    ("course", "Hoàn thành khóa học còn hiệu lực"),
    ("competency", "Mức năng lực"),
    ("qualification", "Trình độ (văn bằng, chứng chỉ)"),
    ("rating", "Xếp loại"),
    ("record_digitised", "Hồ sơ đã số hóa"),
    ("digital_signature", "Đã được cấp chữ ký số"),
    ("no_gap", "Không còn thiếu hụt năng lực theo vị trí việc làm"),
    ("unit_headcount", "Mỗi đơn vị có đủ số người đạt trình độ"),
    ("reviewed", "Đã được đánh giá theo khung năng lực vị trí việc làm"),
    ("unit_plan", "Mỗi xã, phường có kế hoạch đào tạo năm được phê duyệt"),
    ("unit_composition", "Lãnh đạo mỗi xã, phường có nữ và người dân tộc thiểu số"),
)
KIND_CODES = vocab.codes(CRITERION_KINDS)
# Kinds whose facts carry no date: their trend is the current point only (docs/targets.md).
# A commune's composition reads positions, genders and ethnicities, none of them dated.
UNDATED_KINDS = ("record_digitised", "digital_signature", "unit_composition")
# Kinds counted per unit: progress is the share of units that meet them (docs/targets.md).
UNIT_KINDS = ("unit_headcount", "unit_plan", "unit_composition")
PLAN_YEARS = (2000, 2100)  # a plan year a `unit_plan` criterion may name


def _strings(values) -> list[str]:
    return [v for v in values or [] if isinstance(v, str) and v.strip()] \
        if isinstance(values, list) else []


def _list_of(value, allowed, what: str, errors: list[str]) -> None:
    if not isinstance(value, list) or not value:
        errors.append(f"{what}: cần một danh sách không rỗng.")
        return
    bad = [v for v in value if v not in allowed]
    if bad:
        errors.append(f"{what}: giá trị không hợp lệ {', '.join(map(str, bad))}.")


def _qualification(spec, errors: list[str], *, ops=("at_least", "below")) -> None:
    if not isinstance(spec, dict):
        errors.append("Trình độ: cần dạng {\"kind\": …, \"at_least\" hoặc \"below\": …}.")
        return
    kind = spec.get("kind")
    if kind not in vocab.QUALIFICATION_SCALES:
        errors.append(f"Trình độ: loại “{kind}” không có.")
        return
    given = [op for op in ops if op in spec]
    if len(given) != 1 or set(spec) - {"kind", *ops}:
        errors.append("Trình độ: cần đúng một điều kiện “at_least” (từ … trở lên) hoặc "
                      "“below” (dưới …).")
        return
    if vocab.rank(vocab.QUALIFICATION_SCALES[kind], spec[given[0]]) < 0:
        errors.append(f"Trình độ: mức “{spec[given[0]]}” không có trong thang "
                      f"{vocab.QUALIFICATION_LABELS[kind].lower()}.")


def validate_population(pop) -> list[str]:
    errors: list[str] = []
    if not isinstance(pop, dict):
        return ["Đối tượng phải là một từ điển JSON."]
    unknown = sorted(set(pop) - set(POPULATION_KEYS))
    if unknown:
        errors.append(f"Đối tượng: khóa không hỗ trợ {', '.join(unknown)}.")
    if "unit_id" in pop and not isinstance(pop["unit_id"], int):
        errors.append("Đối tượng: đơn vị phải là mã số đơn vị.")
    if "position_groups" in pop:
        _list_of(pop["position_groups"], POSITION_GROUP_CODES, "Nhóm vị trí", errors)
    if "position_codes" in pop:
        _list_of(pop["position_codes"], _strings(pop["position_codes"]), "Mã vị trí", errors)
    if "regions" in pop:
        _list_of(pop["regions"], REGION_CODES, "Vùng", errors)
    if "gender" in pop and pop["gender"] not in GENDER_CODES:
        errors.append("Đối tượng: giới tính không hợp lệ.")
    for key in ("minority", "young", "has_position", "field_mismatch"):
        if key in pop and not isinstance(pop[key], bool):
            errors.append(f"Đối tượng: “{key}” phải là true hoặc false.")
    if "qualification" in pop:
        _qualification(pop["qualification"], errors)
    return errors


def validate_criterion(crit) -> list[str]:
    errors: list[str] = []
    if not isinstance(crit, dict) or crit.get("kind") not in KIND_CODES:
        return ["Tiêu chí: chọn một loại tiêu chí."]
    kind = crit["kind"]
    allowed = {"kind"}
    if kind == "course":
        allowed |= {"categories", "match", "course_codes"}
        if bool(crit.get("categories")) == bool(crit.get("course_codes")):
            errors.append("Tiêu chí khóa học: chọn nhóm khóa học hoặc danh sách khóa học "
                          "(một trong hai).")
        if crit.get("categories"):
            _list_of(crit["categories"], CATEGORY_CODES, "Nhóm khóa học", errors)
            if crit.get("match", "all") not in ("all", "any"):
                errors.append("Tiêu chí khóa học: “match” là “all” (đủ mọi nhóm) hoặc “any”.")
        if crit.get("course_codes"):
            _list_of(crit["course_codes"], _strings(crit["course_codes"]), "Mã khóa học", errors)
    elif kind == "competency":
        allowed |= {"codes", "level"}
        _list_of(crit.get("codes"), _strings(crit.get("codes")), "Năng lực", errors)
        if not isinstance(crit.get("level"), int) or not 1 <= crit["level"] <= vocab.MAX_LEVEL:
            errors.append(f"Tiêu chí năng lực: mức phải từ 1 đến {vocab.MAX_LEVEL}.")
    elif kind == "qualification":
        allowed |= {"qualification", "level"}
        _qualification({"kind": crit.get("qualification"), "at_least": crit.get("level")}, errors)
    elif kind == "rating":
        allowed |= {"level", "period"}
        if crit.get("level") not in RATING_CODES:
            errors.append("Tiêu chí xếp loại: chọn mức xếp loại.")
        if crit.get("period", "year") not in RATING_PERIOD_CODES:  # LC-4: the target's period
            errors.append("Tiêu chí xếp loại: kỳ xếp loại là “year” (năm), “quarter” (quý) "
                          "hoặc “month” (tháng).")
    elif kind == "no_gap":
        allowed |= {"groups", "domains"}
        if "groups" in crit:
            _list_of(crit["groups"], GROUP_CODES, "Nhóm năng lực", errors)
        if "domains" in crit:
            _list_of(crit["domains"], DOMAIN_CODES, "Lĩnh vực năng lực", errors)
    elif kind == "unit_headcount":
        allowed |= {"count", "qualification", "level", "field_contains", "unit_name_contains"}
        if not isinstance(crit.get("count"), int) or crit["count"] < 1:
            errors.append("Tiêu chí số người mỗi đơn vị: số người phải là số nguyên ≥ 1.")
        if "qualification" in crit or "level" in crit:
            _qualification({"kind": crit.get("qualification"), "at_least": crit.get("level")},
                           errors)
        if "field_contains" in crit:
            _list_of(crit["field_contains"], _strings(crit["field_contains"]), "Ngành đào tạo",
                     errors)
        if "unit_name_contains" in crit and not isinstance(crit["unit_name_contains"], str):
            errors.append("Tiêu chí số người mỗi đơn vị: tên đơn vị phải là chuỗi.")
    elif kind == "reviewed":
        allowed |= {"since"}
        if not _iso_date(crit.get("since")):
            errors.append("Tiêu chí đã đánh giá: cần ngày bắt đầu kỳ đánh giá “since” dạng "
                          "YYYY-MM-DD.")
    elif kind == "unit_plan":
        allowed |= {"year"}
        year = crit.get("year")
        if "year" in crit and not (isinstance(year, int) and not isinstance(year, bool)
                                   and PLAN_YEARS[0] <= year <= PLAN_YEARS[1]):
            errors.append(f"Tiêu chí kế hoạch đào tạo: năm phải từ {PLAN_YEARS[0]} đến "
                          f"{PLAN_YEARS[1]}.")
    elif kind == "unit_composition":
        allowed |= {"position_groups", "female", "minority"}
        _list_of(crit.get("position_groups"), POSITION_GROUP_CODES, "Nhóm vị trí lãnh đạo",
                 errors)
        for key in ("female", "minority"):
            if key in crit and not isinstance(crit[key], bool):
                errors.append(f"Tiêu chí cơ cấu: “{key}” phải là true hoặc false.")
        if not (crit.get("female") or crit.get("minority")):
            errors.append("Tiêu chí cơ cấu: chọn ít nhất một yêu cầu (có nữ, có người dân tộc "
                          "thiểu số).")
    unknown = sorted(set(crit) - allowed)
    if unknown:
        errors.append(f"Tiêu chí: khóa không hỗ trợ {', '.join(unknown)}.")
    return errors


def _iso_date(value):
    """A "YYYY-MM-DD" string as a date, None if it is not one."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def since_of(crit: dict) -> date:
    """The first day of a `reviewed` criterion's period."""
    return date.fromisoformat(crit["since"])


def _labels(scale, values) -> str:
    return ", ".join(vocab.label(scale, v, v) for v in values)


def qualification_text(kind: str, level: str) -> str:
    return (f"{vocab.QUALIFICATION_LABELS[kind].lower()} "
            f"{vocab.label(vocab.QUALIFICATION_SCALES[kind], level, level).lower()}")


def describe_population(pop: dict, *, unit_name: str | None = None,
                        young_age: int = 35) -> str:
    parts = []
    if pop.get("unit_id"):
        parts.append(f"thuộc {unit_name or 'đơn vị #' + str(pop['unit_id'])}")
    if pop.get("position_groups"):
        groups = _labels(vocab.POSITION_GROUPS, pop["position_groups"]).lower()
        parts.append("nhóm vị trí " + groups)
    if pop.get("position_codes"):
        parts.append("vị trí " + ", ".join(pop["position_codes"]))
    if pop.get("has_position") is True:
        parts.append("đã có vị trí việc làm")
    elif pop.get("has_position") is False:
        parts.append("chưa có vị trí việc làm")
    if pop.get("regions"):
        parts.append("vùng " + _labels(vocab.REGIONS, pop["regions"]).lower())
    if pop.get("gender"):
        parts.append(vocab.label(vocab.GENDERS, pop["gender"]).lower())
    if "minority" in pop:
        parts.append("người dân tộc thiểu số" if pop["minority"] else "người dân tộc Kinh")
    if "young" in pop:
        parts.append(f"dưới {young_age} tuổi" if pop["young"] else f"từ {young_age} tuổi")
    if pop.get("field_mismatch") is True:
        parts.append("chuyên ngành đào tạo không phù hợp vị trí việc làm")
    elif pop.get("field_mismatch") is False:
        parts.append("chuyên ngành đào tạo phù hợp vị trí việc làm")
    q = pop.get("qualification")
    if q:
        if "at_least" in q:
            parts.append("có " + qualification_text(q["kind"], q["at_least"]) + " trở lên")
        else:
            parts.append("có " + vocab.QUALIFICATION_LABELS[q["kind"]].lower() + " dưới "
                         + vocab.label(vocab.QUALIFICATION_SCALES[q["kind"]], q["below"]).lower())
    return "Cán bộ, công chức" + (" " + "; ".join(parts) if parts else " trong phạm vi")


def describe_criterion(crit: dict, *, competency_names: dict[str, str] | None = None) -> str:
    kind = crit.get("kind")
    names = competency_names or {}
    if kind == "course":
        if crit.get("course_codes"):
            return "Đã hoàn thành một trong các khóa " + ", ".join(crit["course_codes"]) + \
                " (còn hiệu lực)"
        cats = _labels(vocab.COURSE_CATEGORIES, crit["categories"]).lower()
        if crit.get("match", "all") == "all" and len(crit["categories"]) > 1:
            return f"Đã hoàn thành khóa còn hiệu lực ở mỗi nhóm: {cats}"
        return f"Đã hoàn thành ít nhất một khóa còn hiệu lực thuộc nhóm: {cats}"
    if kind == "competency":
        comps = ", ".join(f"{c} {names[c]}" if c in names else c for c in crit["codes"])
        return (f"Mức năng lực từ {crit['level']} "
                f"({vocab.label(vocab.PROFICIENCY, crit['level'])}) trở lên ở: {comps}")
    if kind == "qualification":
        return "Có " + qualification_text(crit["qualification"], crit["level"]) + " trở lên"
    if kind == "rating":
        period = vocab.label(vocab.RATING_PERIODS, crit.get("period", "year")).lower()
        return (f"Xếp loại {period} gần nhất từ “" + vocab.label(vocab.RATINGS, crit["level"])
                + "” trở lên")
    if kind == "record_digitised":
        return "Hồ sơ đã số hóa trong cơ sở dữ liệu dùng chung"
    if kind == "digital_signature":
        return "Đã được cấp chữ ký số cá nhân"
    if kind == "no_gap":
        scope = []
        if crit.get("groups"):
            scope.append("nhóm " + _labels(vocab.COMPETENCY_GROUPS, crit["groups"]).lower())
        if crit.get("domains"):
            scope.append("lĩnh vực " + _labels(vocab.COMPETENCY_DOMAINS, crit["domains"]).lower())
        return ("Đạt mọi mức năng lực vị trí việc làm yêu cầu"
                + (" (" + "; ".join(scope) + ")" if scope else "") + ", không còn thiếu hụt")
    if kind == "unit_headcount":
        who = "người"
        if crit.get("qualification"):
            who += " có " + qualification_text(crit["qualification"], crit["level"]) + " trở lên"
        if crit.get("field_contains"):
            who += " ngành " + " / ".join(crit["field_contains"])
        where = (f"mỗi đơn vị có tên chứa “{crit['unit_name_contains']}”"
                 if crit.get("unit_name_contains") else "mỗi xã, phường, đặc khu")
        return f"{where.capitalize()} có ít nhất {crit['count']} {who}"
    if kind == "reviewed":
        return ("Đã được đánh giá năng lực theo khung của vị trí việc làm (cấp trên đánh giá, "
                f"kiểm tra hoặc kèm cặp) từ ngày {since_of(crit):%d/%m/%Y}")
    if kind == "unit_plan":
        year = f"năm {crit['year']}" if crit.get("year") else "của năm đang diễn ra"
        return f"Mỗi xã, phường, đặc khu có kế hoạch đào tạo, bồi dưỡng {year} đã được phê duyệt"
    if kind == "unit_composition":
        groups = _labels(vocab.POSITION_GROUPS, crit["position_groups"]).lower()
        need = [w for k, w in (("female", "ít nhất một nữ"),
                               ("minority", "ít nhất một người dân tộc thiểu số")) if crit.get(k)]
        return f"Mỗi xã, phường, đặc khu: trong nhóm {groups} có " + " và ".join(need)
    return "—"
