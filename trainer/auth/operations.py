"""Accounts: sign-in, creation (one by one, from a file, or in bulk for a unit's officials),
changes, disabling, passwords and their reset (docs/accounts.md). Operations flush, never
commit; the web view or the CLI command commits once.

Who manages whom (`can_manage`): an admin, every account; an HR account, the accounts of the
officials and the HR accounts of the units in its subtree. School and admin accounts are an
admin's alone. Nobody gains through an account more than they already see."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import selectinload

from trainer.auth.models import ROLES, User
from trainer.auth.passwords import (check_password, generate_password, hash_generated,
                                    hash_password, password_problem)
from trainer.auth.sessions import end_sessions
from trainer.catalog.models import Provider
from trainer.core import events
from trainer.core.errors import DomainError, NotAllowed
from trainer.core.extensions import db
from trainer.core.tabular import Column, ImportPlan, Table, parse_choice
from trainer.core.timeutil import utcnow
from trainer.org.models import Unit
from trainer.org.queries import unit_subtree_ids
from trainer.people.models import Official

USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ROLE_LABELS = dict(ROLES)
HR_CREATABLE = ("official", "hr")  # what an HR account may create within its subtree
# A hash to check a password against when the username is unknown, so that the answer takes as
# long as for a real account and does not tell whether the username exists.
_DUMMY_HASH = None


# --- Signing in -------------------------------------------------------------------------------

def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))


def authenticate(username: str, password: str) -> User | None:
    """The active account with this username and password; None otherwise, after the same work
    whether or not the username exists."""
    global _DUMMY_HASH
    user = find_user(username)
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(generate_password())
        check_password(_DUMMY_HASH, password)
        return None
    if check_password(user.password_hash, password) and user.active:
        return user
    return None


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    db.session.flush()


# --- Who manages whom -------------------------------------------------------------------------

def account_unit_id(user: User) -> int | None:
    """The unit an account belongs to: its official's, or its own scope (HR)."""
    if user.role == "official" and user.official is not None:
        return user.official.unit_id
    return user.unit_id if user.role == "hr" else None


def manageable_unit_ids(actor: User) -> set[int] | None:
    """Units whose accounts the actor manages; None: all (admin)."""
    if actor.role == "admin":
        return None
    if actor.role == "hr" and actor.unit_id:
        return set(unit_subtree_ids(actor.unit_id))
    return set()


def can_create(actor: User, role: str, unit_id: int | None) -> bool:
    units = manageable_unit_ids(actor)
    if units is None:
        return True
    return role in HR_CREATABLE and unit_id is not None and unit_id in units


def can_manage(actor: User, user: User) -> bool:
    return can_create(actor, user.role, account_unit_id(user))


def accounts_filter(actor: User):
    """A WHERE clause on User: the accounts the actor manages."""
    units = manageable_unit_ids(actor)
    if units is None:
        return sa.true()
    if not units:
        return sa.false()
    in_official_units = sa.select(Official.id).where(Official.unit_id.in_(units))
    return sa.or_(sa.and_(User.role == "official", User.official_id.in_(in_official_units)),
                  sa.and_(User.role == "hr", User.unit_id.in_(units)))


def _require_manage(actor: User, user: User) -> None:
    if not can_manage(actor, user):
        raise NotAllowed(f"Tài khoản “{user.username}” ngoài phạm vi quản lý của bạn.")


# --- Values of an account (one set of rules for the form, the file and the CLI) ---------------

def normalise_username(text: str) -> str:
    return (text or "").strip().casefold()


def username_problem(username: str) -> str | None:
    if not USERNAME.fullmatch(username):
        return ("tên đăng nhập 3–64 ký tự, chỉ gồm chữ không dấu, chữ số và . _ - @, bắt đầu "
                "bằng chữ hoặc số")
    return None


def email_problem(email: str | None) -> str | None:
    if email and (len(email) > 120 or not EMAIL.fullmatch(email)):
        return f"“{email}” không phải địa chỉ e-mail hợp lệ"
    return None


@dataclass
class Scope:
    """What an account is bound to: at most one of these, by the role. An official's scope also
    carries the official's unit and name (who may manage the account; its default name)."""
    official_id: int | None = None
    provider_id: int | None = None
    unit_id: int | None = None
    official_unit_id: int | None = None
    official_name: str = ""

    def unit_of(self, role: str) -> int | None:
        if role == "official":
            return self.official_unit_id
        return self.unit_id if role == "hr" else None

    def columns(self, role: str) -> dict:
        """The User columns this scope sets for the role."""
        return {"official_id": self.official_id if role == "official" else None,
                "provider_id": self.provider_id if role == "school" else None,
                "unit_id": self.unit_id if role == "hr" else None}


class ScopeCodes:
    """The codes a scope may name, read in three queries: for a whole accounts file (no query
    per row), or, with `only`, for the one code a form names."""

    def __init__(self, only: str | None = None):
        def where(column):
            return column == only if only is not None else sa.true()
        self.officials = {c: (i, u, n) for c, i, u, n in db.session.execute(
            sa.select(Official.code, Official.id, Official.unit_id, Official.full_name)
            .where(where(Official.code)))}
        self.providers = dict(db.session.execute(sa.select(Provider.code, Provider.id)
                                                 .where(where(Provider.code))).all())
        self.units = {c: (i, closed is None) for c, i, closed in db.session.execute(
            sa.select(Unit.code, Unit.id, Unit.closed_on).where(where(Unit.code)))}


def resolve_scope(role: str, code: str, codes: ScopeCodes | None = None) -> Scope:
    """The scope named by a code: an official's code, a provider's code or a unit's code, as the
    role needs (ValueError with a Vietnamese reason otherwise)."""
    code = (code or "").strip()
    if role == "admin":
        if code:
            raise ValueError("tài khoản quản trị không gắn với phạm vi nào: để trống")
        return Scope()
    if not code:
        raise ValueError({"official": "cần mã cán bộ", "school": "cần mã cơ sở đào tạo",
                          "hr": "cần mã đơn vị"}[role])
    codes = codes or ScopeCodes(only=code)
    if role == "official":
        if code not in codes.officials:
            raise ValueError(f"không có cán bộ mã “{code}”")
        official_id, unit_id, name = codes.officials[code]
        return Scope(official_id=official_id, official_unit_id=unit_id, official_name=name)
    if role == "school":
        if code not in codes.providers:
            raise ValueError(f"không có cơ sở đào tạo mã “{code}”")
        return Scope(provider_id=codes.providers[code])
    if code not in codes.units:
        raise ValueError(f"không có đơn vị mã “{code}”")
    unit_id, is_open = codes.units[code]
    if not is_open:
        raise ValueError(f"đơn vị “{code}” đã đóng (sáp nhập)")
    return Scope(unit_id=unit_id)


def scope_code(user: User) -> str:
    if user.role == "official" and user.official:
        return user.official.code
    if user.role == "school" and user.provider:
        return user.provider.code
    if user.role == "hr" and user.unit:
        return user.unit.code
    return ""


def _check_official_free(official_id: int | None, user: User | None = None) -> None:
    if official_id is None:
        return
    other = db.session.scalar(sa.select(User.username).where(
        User.official_id == official_id, User.id != (user.id if user else -1)))
    if other:
        raise DomainError(f"Cán bộ này đã có tài khoản “{other}”.")


# --- Creating and changing accounts -----------------------------------------------------------

def create_user(username: str, password: str, role: str, display_name: str, *,
                official_id=None, provider_id=None, unit_id=None, email: str | None = None,
                must_change_password: bool = False, generated: bool = False,
                created_by: str = "") -> User:
    """An account with this password (already checked against the policy by the caller when a
    person chose it; `generated` for a one-time password the system made)."""
    username = normalise_username(username)
    problem = username_problem(username)
    if problem:
        raise DomainError(problem[0].upper() + problem[1:] + ".")
    if role not in ROLE_LABELS:
        raise DomainError(f"Vai trò “{role}” không hợp lệ.")
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise DomainError(f"Tên đăng nhập “{username}” đã có.")
    need = {"official": official_id, "school": provider_id, "hr": unit_id}
    if role in need and need[role] is None:
        raise DomainError("Tài khoản thiếu phạm vi (cán bộ, cơ sở đào tạo hoặc đơn vị).")
    if email_problem(email):
        raise DomainError(email_problem(email)[0].upper() + email_problem(email)[1:] + ".")
    _check_official_free(official_id)
    user = User(username=username,
                password_hash=hash_generated(password) if generated else hash_password(password),
                role=role, display_name=display_name.strip()[:120], email=email or None,
                official_id=official_id if role == "official" else None,
                provider_id=provider_id if role == "school" else None,
                unit_id=unit_id if role == "hr" else None,
                must_change_password=must_change_password, created_by=created_by[:120],
                password_changed_at=None if generated else utcnow())
    db.session.add(user)
    db.session.flush()
    return user


@dataclass(frozen=True)
class Issued:
    """An account just made with a one-time password — shown once, never stored."""
    username: str
    display_name: str
    password: str
    where: str = ""  # the unit, for the list HR prints


def create_account(actor: User, *, username: str, display_name: str, role: str, scope: Scope,
                   email: str | None = None) -> tuple[User, Issued]:
    """An account created by `actor` (admin, or HR within its subtree) with a one-time password
    to change at first sign-in."""
    if not can_create(actor, role, scope.unit_of(role)):
        raise NotAllowed("Bạn không được tạo tài khoản với vai trò và phạm vi này.")
    if role == "official" and not display_name.strip():
        display_name = scope.official_name
    if not display_name.strip():
        raise DomainError("Cần họ và tên người dùng.")
    password = generate_password()
    user = create_user(username, password, role, display_name, email=email,
                       must_change_password=True, generated=True, created_by=actor.display_name,
                       **scope.columns(role))
    events.audit("account", subject_type="account", subject_id=user.id,
                 detail=f"tạo tài khoản {user.username} ({role})")
    return user, Issued(user.username, user.display_name, password, account_place(user))


def update_account(actor: User, user: User, *, display_name: str, role: str, scope: Scope,
                   email: str | None) -> User:
    """Name, e-mail, role and scope. A change of role or scope takes effect at the next request
    (scope is read from the account every time)."""
    _require_manage(actor, user)
    if not can_create(actor, role, scope.unit_of(role)):
        raise NotAllowed("Bạn không được đặt vai trò và phạm vi này.")
    if user.id == actor.id and role != actor.role:
        raise DomainError("Không tự đổi vai trò của chính mình.")
    if user.role == "admin" and role != "admin":
        _keep_an_admin(user)
    if email_problem(email):
        raise DomainError(email_problem(email)[0].upper() + email_problem(email)[1:] + ".")
    if not display_name.strip():
        raise DomainError("Cần họ và tên người dùng.")
    _check_official_free(scope.official_id if role == "official" else None, user)
    user.display_name, user.email, user.role = display_name.strip()[:120], email or None, role
    for column, value in scope.columns(role).items():
        setattr(user, column, value)
    events.audit("account", subject_type="account", subject_id=user.id,
                 detail=f"sửa tài khoản {user.username} (vai trò {role})")
    db.session.flush()
    return user


def _keep_an_admin(user: User) -> None:
    others = db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.role == "admin", User.active.is_(True), User.id != user.id))
    if not others:
        raise DomainError("Đây là tài khoản quản trị cuối cùng đang hoạt động: không khóa hoặc "
                          "đổi vai trò được.")


def set_active(actor: User, user: User, active: bool) -> User:
    """Disable (never delete: history keeps the name) or enable an account. Disabling ends its
    open sessions at once."""
    _require_manage(actor, user)
    if user.id == actor.id and not active:
        raise DomainError("Không tự khóa tài khoản của chính mình.")
    if not active and user.role == "admin":
        _keep_an_admin(user)
    if user.active != active:
        user.active = active
        if not active:
            end_sessions(user, "disabled")
        events.audit("account", subject_type="account", subject_id=user.id,
                     detail=f"{'mở khóa' if active else 'khóa'} tài khoản {user.username}")
    db.session.flush()
    return user


def reset_password(actor: User, user: User) -> Issued:
    """A new one-time password, to change at the next sign-in; open sessions end."""
    _require_manage(actor, user)
    if user.id == actor.id:
        raise DomainError("Đổi mật khẩu của chính mình ở trang “Đổi mật khẩu”.")
    password = generate_password()
    user.password_hash = hash_generated(password)
    user.must_change_password = True
    end_sessions(user, "reset")
    events.audit("password", subject_type="account", subject_id=user.id,
                 detail=f"đặt lại mật khẩu của {user.username}")
    db.session.flush()
    return Issued(user.username, user.display_name, password, account_place(user))


def policy_problem(user: User | None, password: str, *, username: str = "") -> str | None:
    official = user.official if user is not None and user.role == "official" else None
    return password_problem(password, username=username or (user.username if user else ""),
                            pid=official.pid if official else None,
                            birth_date=official.birth_date if official else None)


def change_password(user: User, new_password: str, *, current_password: str | None,
                    keep_session: str | None = None) -> None:
    """The account holder sets a password they chose (the policy applies). `current_password`
    is checked unless None (a reset link proved who they are). Every other session ends (all
    but `keep_session`, the token of the session making the change)."""
    if current_password is not None and not check_password(user.password_hash, current_password):
        raise DomainError("Mật khẩu hiện tại không đúng.")
    problem = policy_problem(user, new_password)
    if problem:
        raise DomainError(problem)
    if check_password(user.password_hash, new_password):
        raise DomainError("Mật khẩu mới phải khác mật khẩu cũ.")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    end_sessions(user, "password", keep=keep_session)
    events.audit("password", subject_type="account", subject_id=user.id,
                 detail="đổi mật khẩu" if current_password is not None else
                 "đặt mật khẩu mới qua liên kết")
    db.session.flush()


# --- Accounts for a unit's officials, in bulk -------------------------------------------------

USERNAME_SCHEMES = (("code", "Mã cán bộ"), ("email", "E-mail của cán bộ"))


def plan_official_accounts(actor: User, unit_id: int, scheme: str = "code"):
    """Who in the unit's subtree would get an account: [(official, username)] and the ones that
    cannot, with the reason [(official, reason)]. Officials with an account are left out."""
    if scheme not in dict(USERNAME_SCHEMES):
        raise DomainError("Cách đặt tên đăng nhập không hợp lệ.")
    units = manageable_unit_ids(actor)
    if units is not None and unit_id not in units:
        raise NotAllowed("Đơn vị ngoài phạm vi quản lý của bạn.")
    with_account = sa.select(User.official_id).where(User.official_id.is_not(None))
    officials = db.session.scalars(sa.select(Official).where(
        Official.unit_id.in_(unit_subtree_ids(unit_id)), Official.id.not_in(with_account))
        .order_by(Official.unit_id, Official.full_name, Official.id)).all()
    taken = set(db.session.scalars(sa.select(User.username)))
    ready, skipped = [], []
    for official in officials:
        name = normalise_username(official.code if scheme == "code" else (official.email or ""))
        if not name:
            skipped.append((official, "chưa có e-mail"))
        elif username_problem(name):
            skipped.append((official, f"“{name}” không dùng làm tên đăng nhập được"))
        elif name in taken:
            skipped.append((official, f"tên đăng nhập “{name}” đã có người dùng"))
        else:
            taken.add(name)
            ready.append((official, name))
    return ready, skipped


def issue_official_accounts(actor: User, unit_id: int, scheme: str = "code") -> list[Issued]:
    """Accounts for every official of the unit's subtree who has none, each with a one-time
    password (to change at first sign-in)."""
    ready, _ = plan_official_accounts(actor, unit_id, scheme)
    issued = []
    for official, username in ready:
        password = generate_password()
        db.session.add(User(username=username, password_hash=hash_generated(password),
                            role="official", display_name=official.full_name,
                            official_id=official.id, must_change_password=True,
                            created_by=actor.display_name[:120]))
        issued.append(Issued(username, official.full_name, password, official.unit.name))
    events.audit("account", subject_type="unit", subject_id=unit_id,
                 detail=f"cấp {len(issued)} tài khoản cho cán bộ của đơn vị")
    db.session.flush()
    return issued


def account_place(user: User) -> str:
    """Where the account works: its official's unit, its HR unit or its school."""
    if user.role == "official" and user.official:
        return user.official.unit.name
    if user.role == "hr" and user.unit:
        return user.unit.name
    if user.role == "school" and user.provider:
        return user.provider.name
    return ""


def issued_frame(issued: list[Issued]) -> pd.DataFrame:
    """The list HR prints and hands out (Excel)."""
    return pd.DataFrame({"Họ và tên": [i.display_name for i in issued],
                         "Đơn vị": [i.where for i in issued],
                         "Tên đăng nhập": [i.username for i in issued],
                         "Mật khẩu ban đầu": [i.password for i in issued],
                         "Ghi chú": "Đổi mật khẩu ở lần đăng nhập đầu tiên"})


def still_initial(actor: User, usernames: list[str]) -> dict[str, User]:
    """Of these accounts, the ones the actor manages that still wait for their first password
    change (their one-time password is still the one handed out)."""
    users = db.session.scalars(sa.select(User).where(
        User.username.in_([normalise_username(u) for u in usernames]),
        User.must_change_password.is_(True), accounts_filter(actor))).all()
    return {u.username: u for u in users}


# --- Importing accounts from a file -----------------------------------------------------------

ROLE_WORDS = {"cán bộ": "official", "công chức": "official", "cán bộ tổ chức": "hr",
              "tổ chức": "hr", "nhân sự": "hr", "trường": "school", "quản trị": "admin",
              "quản trị viên": "admin"}


def _parse_role(text: str) -> str:
    folded = text.strip().casefold()
    if folded in ROLE_WORDS:
        return ROLE_WORDS[folded]
    return parse_choice(text, ROLES, "vai trò")


# The accounts file. The rules that read other cells or the stored accounts (the username's
# shape and repeats, the scope, the name's length, the e-mail) are plan_accounts', in the order
# its errors are listed: username, role, scope, name, e-mail.
ACCOUNTS = Table((
    Column("Tên đăng nhập", "username", normalise_username, required=True,
           example="tochuc.xa01"),
    Column("Họ và tên", "name", example="Lò Văn Hùng"),
    Column("Email", "email", example="hung.lv@laichau.gov.vn"),
    Column("Vai trò", "role", _parse_role, required=True, example="Cán bộ tổ chức, nhân sự"),
    Column("Mã phạm vi", "scope", example="LCU-X01"),  # a stored commune when there is one
))
ACCOUNT_COLUMNS = tuple(ACCOUNTS.headers)
ACCOUNT_REQUIRED = tuple(ACCOUNTS.required_headers)


def plan_accounts(df: pd.DataFrame, filename: str = "tệp", *, unit_ids=None,
                  actor: str = "") -> ImportPlan:
    """Accounts keyed by username: a new one is created with a one-time password (listed in
    `plan.issued` once written); a known one gets the file's name, e-mail, role and scope, or
    stays unchanged. Passwords of known accounts are never touched. `unit_ids`: the units the
    importer manages (None: an admin, every role)."""
    existing = {u.username: u for u in db.session.scalars(
        sa.select(User).options(selectinload(User.official)))}  # account_unit_id reads it
    codes = ScopeCodes()
    plan, seen, seen_official, new, changes = ImportPlan(), {}, {}, [], []
    official_owner = {u.official_id: u.username for u in existing.values() if u.official_id}
    for row in ACCOUNTS.read(df, filename):
        plan.rows += 1
        username, role = row.values["username"], row.values["role"]
        if username is not None:  # blank: the table said so
            problem = username_problem(username) or (
                f"“{username}” trùng với dòng {seen[username]}" if username in seen else None)
            if problem:
                row.error("username", problem)
            seen.setdefault(username, row.number)
        scope = None
        if role:
            try:
                scope = resolve_scope(role, row.values["scope"] or "", codes)
            except ValueError as e:
                row.error("scope", str(e))
        name = row.values["name"] or ""
        if len(name) > 120:
            row.error("name", "dài quá 120 ký tự")
        email = row.values["email"]
        if email_problem(email):
            row.error("email", email_problem(email))
        if role and scope is not None:
            unit = scope.unit_of(role)
            if unit_ids is not None and (role not in HR_CREATABLE or unit not in unit_ids):
                row.error("role", "vai trò và phạm vi này ngoài quyền quản lý của bạn")
            user = existing.get(username)
            if user is not None and unit_ids is not None and not (
                    user.role in HR_CREATABLE and account_unit_id(user) in unit_ids):
                row.error("username", f"tài khoản “{username}” ngoài phạm vi quản lý của bạn")
            owner = official_owner.get(scope.official_id) if scope.official_id else None
            if owner and owner != username:
                row.error("scope", f"cán bộ này đã có tài khoản “{owner}”")
            elif scope.official_id and scope.official_id in seen_official:
                row.error("scope", "cán bộ này đã có tài khoản ở dòng "
                                   f"{seen_official[scope.official_id]}")
            if scope.official_id:
                seen_official.setdefault(scope.official_id, row.number)
            if role == "official" and not name:
                name = scope.official_name
            if not name:
                row.error("name", "không được để trống")
        plan.errors.extend(row.errors)
        if not row.ok:
            continue
        values = {"display_name": name, "email": email, "role": role, **scope.columns(role)}
        user = existing.get(username)
        diff = plan.count_row(user, values)
        if user is None:
            new.append((username, values))
        elif diff:
            changes.append((user, diff))

    def apply() -> None:
        for user, diff in changes:
            for key, value in diff.items():
                setattr(user, key, value)
        db.session.flush()
        for username, values in new:
            password = generate_password()
            user = create_user(username, password, values.pop("role"), values.pop("display_name"),
                               must_change_password=True, generated=True,
                               created_by=actor or f"Nhập từ tệp {filename}", **values)
            plan.issued.append(Issued(user.username, user.display_name, password, account_place(user)))
    plan.actions.append(apply)
    return plan


# --- "Quên mật khẩu": a time-limited, single-use link through the outbox ----------------------

RESET_SALT = "trainer-password-reset"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _fingerprint(user: User) -> str:
    """Changes with the password: a used link (or one made before a later reset) no longer
    matches — single use without storing anything."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def reset_token(user: User) -> str:
    return _serializer().dumps([user.id, _fingerprint(user)])


def user_for_reset_token(token: str) -> User:
    """The account a valid, unused, unexpired link is for; DomainError (Vietnamese) otherwise."""
    minutes = int(current_app.config["RESET_LINK_MINUTES"])
    try:
        user_id, fingerprint = _serializer().loads(token, max_age=minutes * 60)
    except SignatureExpired:
        raise DomainError(f"Liên kết đã quá {minutes} phút: hãy yêu cầu liên kết mới.") from None
    except (BadSignature, ValueError, TypeError):
        raise DomainError("Liên kết không hợp lệ hoặc đã được dùng.") from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or _fingerprint(user) != fingerprint:
        raise DomainError("Liên kết không hợp lệ hoặc đã được dùng.")
    return user


def account_email(user: User) -> str | None:
    return user.email or (user.official.email if user.official is not None else None)


def request_password_reset(identifier: str, *, base_url: str) -> int:
    """Mail a reset link to the account named by a username or an e-mail address, when it is
    active and has an address. Returns how many were written to the outbox — never shown, so
    that the page does not tell who has an account."""
    text = (identifier or "").strip()[:120]
    if not text:
        return 0
    folded = text.casefold()
    users = db.session.scalars(sa.select(User).outerjoin(Official, Official.id == User.official_id)
                               .where(User.active.is_(True), sa.or_(
                                   User.username == folded, sa.func.lower(User.email) == folded,
                                   sa.func.lower(Official.email) == folded)).limit(3)).all()
    minutes = int(current_app.config["RESET_LINK_MINUTES"])
    sent = 0
    for user in users:
        address = account_email(user)
        if not address:
            continue
        link = f"{base_url.rstrip('/')}/dat-lai-mat-khau/{reset_token(user)}"
        events.send_mail(
            address, "[Bồi dưỡng cán bộ] Đặt lại mật khẩu",
            f"Kính gửi {user.display_name},\n\nCó yêu cầu đặt lại mật khẩu cho tài khoản "
            f"“{user.username}”. Mở liên kết sau trong {minutes} phút để đặt mật khẩu mới "
            f"(liên kết chỉ dùng được một lần):\n\n{link}\n\nNếu không phải bạn yêu cầu, "
            "hãy bỏ qua thư này: mật khẩu hiện tại vẫn giữ nguyên.\n")
        sent += 1
    db.session.flush()
    return sent
