"""Signing in and out, passwords (change, forgotten, reset) and the account screens
(docs/accounts.md). Views parse, call one operation, commit once."""
from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, g, make_response, redirect,
                   render_template, request, session, url_for)
from flask_login import current_user, login_required, login_user, logout_user

from trainer.auth import operations as ops
from trainer.auth.forms import (AccountFilterForm, AccountForm, ActionForm, ChangePasswordForm,
                                ForgotPasswordForm, IssueAccountsForm, LoginForm,
                                ResetPasswordForm)
from trainer.auth.models import ROLES, User
from trainer.auth.scope import role_required
from trainer.display import fold
from trainer.errors import DomainError
from trainer.exports import xlsx_response
from trainer.extensions import db, limiter, login_manager
from trainer.forms_util import options
from trainer.learning.models import Provider
from trainer.org.models import Unit
from trainer.people.models import Official
from trainer.views_util import one_commit

bp = Blueprint("auth", __name__)

HOME = {"official": "people.me", "school": "school.home", "hr": "targets.dashboard",
        "admin": "targets.dashboard"}
MANAGERS = ("hr", "admin")
PAGE = 50
MAX_DOWNLOAD_ROWS = 5000
# Where an account that must change its one-time password may still go.
OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static", "health.healthz",
                       "bootstrap.static"}


@login_manager.user_loader
def load_user(user_id: str):
    """The session's account, if it is still active and its sessions were not ended since
    (the session carries "<id>.<session_version>", User.get_id)."""
    uid, _, version = (user_id or "").partition(".")
    if not (uid.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(uid))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@bp.before_app_request
def _first_change_the_password():
    """An account with a one-time password changes it before anything else."""
    # The account is loaded afresh for every request (Flask-Login keeps it on `g`, which lives
    # as long as the app context — one request in production, a whole test in the suite).
    g.pop("_login_user", None)
    if request.endpoint in OPEN_WHILE_CHANGING or request.blueprint in ("api", "xapi"):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        flash("Bạn đang dùng mật khẩu ban đầu: hãy đặt mật khẩu của riêng bạn để tiếp tục.",
              "warning")
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME[current_user.role]))


def _safe_next(target: str) -> str:
    if not target or urlsplit(target).netloc or urlsplit(target).scheme \
            or not target.startswith("/") or target.startswith("//"):
        return url_for("auth.index")
    return target


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = ops.authenticate(form.username.data, form.password.data)
        if user is None:
            flash("Tên đăng nhập hoặc mật khẩu không đúng.", "danger")
        else:
            session.clear()  # nothing of a session from before the sign-in carries over
            login_user(user)
            with one_commit():
                ops.record_login(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next", "")))
    return render_template("auth/login.html", form=form)


@bp.route("/dang-xuat", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("Đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))


# --- Passwords --------------------------------------------------------------------------------

@bp.route("/doi-mat-khau", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        with one_commit("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc.") as done:
            ops.change_password(user, form.new_password.data,
                                current_password=form.current_password.data)
        if done["ok"]:
            login_user(user)  # this session carries the new session version
            return redirect(url_for("auth.index"))
    return render_template("auth/change_password.html", form=form,
                           first=current_user.must_change_password)


def _base_url() -> str | None:
    """Where links in e-mails point: PUBLIC_URL; outside production, the request's own host."""
    url = current_app.config["PUBLIC_URL"]
    if url:
        return url
    return None if current_app.config["ENV"] == "production" else request.host_url


def _forgot_key() -> str:
    return "forgot:" + fold(request.form.get("identifier", ""))[:120]


def _forgot_limit() -> str:
    return current_app.config["FORGOT_PASSWORD_LIMIT"]


@bp.route("/quen-mat-khau", methods=["GET", "POST"])
@limiter.limit(_forgot_limit, methods=["POST"])  # per address
@limiter.limit(_forgot_limit, methods=["POST"], key_func=_forgot_key)  # per account asked for
def forgot_password():
    form = ForgotPasswordForm()
    base = _base_url()
    if base and form.validate_on_submit():
        with one_commit():
            ops.request_password_reset(form.identifier.data, base_url=base)
        flash("Nếu tài khoản có địa chỉ e-mail, một liên kết đặt lại mật khẩu vừa được gửi tới đó. "
              "Không nhận được thư? Hãy nhờ cán bộ tổ chức đặt lại mật khẩu cho bạn.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form, enabled=bool(base),
                           minutes=current_app.config["RESET_LINK_MINUTES"])


@bp.route("/dat-lai-mat-khau/<token>", methods=["GET", "POST"])
def reset_with_link(token: str):
    try:
        user = ops.user_for_reset_token(token[:400])
    except DomainError as e:
        flash(str(e), "danger")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with one_commit("Đã đặt mật khẩu mới. Hãy đăng nhập.") as done:
            ops.change_password(user, form.new_password.data, current_password=None)
        if done["ok"]:
            logout_user()
            return redirect(url_for("auth.login"))
    response = make_response(render_template("auth/reset.html", form=form, user=user))
    # The token is in this page's address: no other site may see it in a Referer. Our own form
    # still gets one (Flask-WTF checks it over HTTPS).
    response.headers["Referrer-Policy"] = "same-origin"
    return response


# --- Account screens --------------------------------------------------------------------------

def _account_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not ops.can_manage(current_user, user):
        abort(404)
    return user


def _scope_choices(form: AccountForm) -> None:
    units = ops.manageable_unit_ids(current_user)
    q = sa.select(Unit.id, Unit.code, Unit.name).where(Unit.closed_on.is_(None)).order_by(Unit.code)
    if units is not None:
        q = q.where(Unit.id.in_(units))
    form.unit_id.choices = options([(0, "—")] + [(i, f"{c} – {n}") for i, c, n in
                                                 db.session.execute(q)])
    form.provider_id.choices = options([(0, "—")] + [
        (i, f"{c} – {n}") for i, c, n in db.session.execute(
            sa.select(Provider.id, Provider.code, Provider.name).order_by(Provider.code))])
    allowed = ROLES if units is None else [r for r in ROLES if r[0] in ops.HR_CREATABLE]
    form.role.choices = options(allowed)


def _scope_from(form: AccountForm) -> ops.Scope:
    role = form.role.data
    if role == "official":
        try:
            return ops.resolve_scope("official", form.official_code.data or "")
        except ValueError as e:
            raise DomainError(f"Mã cán bộ: {e}.") from None
    if role == "hr":
        if not form.unit_id.data:
            raise DomainError("Chọn đơn vị của tài khoản cán bộ tổ chức.")
        return ops.Scope(unit_id=form.unit_id.data)
    if role == "school":
        if not form.provider_id.data:
            raise DomainError("Chọn cơ sở đào tạo của tài khoản.")
        return ops.Scope(provider_id=form.provider_id.data)
    return ops.Scope()


def issued_passwords_page(issued: list[ops.Issued], *, title: str = "Mật khẩu ban đầu"):
    """One-time passwords, shown this once (never stored): a table and a button for the .xlsx.
    Not cached by the browser."""
    response = make_response(render_template("auth/issued.html", issued=issued, title=title,
                                             form=ActionForm()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/tai-khoan")
@role_required(*MANAGERS)
def accounts():
    form = AccountFilterForm(request.args)
    form.validate()
    rows = db.session.execute(
        sa.select(User.id, User.username, User.display_name, User.email, User.role, User.active,
                  User.must_change_password, User.last_login_at,
                  sa.func.coalesce(Unit.name, Provider.name).label("scope"))
        .outerjoin(Official, Official.id == User.official_id)
        .outerjoin(Unit, Unit.id == sa.func.coalesce(Official.unit_id, User.unit_id))
        .outerjoin(Provider, Provider.id == User.provider_id)
        .where(ops.accounts_filter(current_user)).order_by(User.username)).all()
    if form.role.data:
        rows = [r for r in rows if r.role == form.role.data]
    status = form.status.data
    if status == "active":
        rows = [r for r in rows if r.active]
    elif status == "disabled":
        rows = [r for r in rows if not r.active]
    elif status == "initial":
        rows = [r for r in rows if r.must_change_password]
    if form.q.data:
        needle = fold(form.q.data.strip())
        rows = [r for r in rows if needle in fold(f"{r.username} {r.display_name} {r.email or ''}")]
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    total = len(rows)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("auth/accounts.html", form=form, rows=rows[(page - 1) * PAGE:page * PAGE],
                           total=total, page=page, pages=max(1, -(-total // PAGE)), args=args,
                           roles=dict(ROLES), admin=current_user.role == "admin")


@bp.route("/tai-khoan/moi", methods=["GET", "POST"])
@role_required(*MANAGERS)
def new_account():
    form = AccountForm()
    _scope_choices(form)
    if form.validate_on_submit():
        issued = None
        with one_commit() as done:
            if not form.username.data:
                raise DomainError("Nhập tên đăng nhập.")
            _, issued = ops.create_account(current_user, username=form.username.data,
                                           display_name=form.display_name.data or "",
                                           role=form.role.data, scope=_scope_from(form),
                                           email=(form.email.data or "").strip() or None)
        if done["ok"]:
            flash(f"Đã tạo tài khoản “{issued.username}”.", "success")
            return issued_passwords_page([issued])
    return render_template("auth/account_form.html", form=form, user=None)


@bp.route("/tai-khoan/<int:user_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def account(user_id: int):
    user = _account_or_404(user_id)
    form = AccountForm(obj=user) if request.method == "GET" else AccountForm()
    _scope_choices(form)
    if request.method == "GET":
        form.official_code.data = user.official.code if user.official else ""
        form.unit_id.data, form.provider_id.data = user.unit_id or 0, user.provider_id or 0
    if form.validate_on_submit():
        with one_commit("Đã lưu tài khoản.") as done:
            name = form.display_name.data or (user.official.full_name if user.official else "")
            ops.update_account(current_user, user, display_name=name, role=form.role.data,
                               scope=_scope_from(form),
                               email=(form.email.data or "").strip() or None)
        if done["ok"]:
            return redirect(url_for("auth.account", user_id=user.id))
        user = _account_or_404(user_id)
    return render_template("auth/account_form.html", form=form, user=user, action=ActionForm(),
                           roles=dict(ROLES), scope_code=ops.scope_code(user))


@bp.route("/tai-khoan/<int:user_id>/<any('khoa', 'mo-khoa'):what>", methods=["POST"])
@role_required(*MANAGERS)
def set_active(user_id: int, what: str):
    user = _account_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    active = what == "mo-khoa"
    message = (f"Đã mở khóa tài khoản “{user.username}”." if active else
               f"Đã khóa tài khoản “{user.username}”: các phiên đăng nhập của tài khoản đã kết "
               "thúc.")
    with one_commit(message):
        ops.set_active(current_user, user, active)
    return redirect(url_for("auth.account", user_id=user_id))


@bp.route("/tai-khoan/<int:user_id>/dat-lai-mat-khau", methods=["POST"])
@role_required(*MANAGERS)
def reset_account_password(user_id: int):
    user = _account_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    issued = None
    with one_commit() as done:
        issued = ops.reset_password(current_user, user)
    if done["ok"]:
        flash(f"Đã đặt lại mật khẩu của “{user.username}”; các phiên đăng nhập của tài khoản đã "
              "kết thúc.", "success")
        return issued_passwords_page([issued], title="Mật khẩu mới (dùng một lần)")
    return redirect(url_for("auth.account", user_id=user_id))


@bp.route("/tai-khoan/cap-cho-can-bo", methods=["GET", "POST"])
@role_required(*MANAGERS)
def issue_accounts():
    """Accounts for the officials of a unit who have none: preview (who gets one, who cannot
    and why), then issue; the one-time passwords are shown once and downloadable."""
    form = IssueAccountsForm(request.args) if request.method == "GET" else IssueAccountsForm()
    units = ops.manageable_unit_ids(current_user)
    q = sa.select(Unit.id, Unit.code, Unit.name).where(Unit.closed_on.is_(None)).order_by(Unit.code)
    if units is not None:
        q = q.where(Unit.id.in_(units))
    form.unit_id.choices = options([(i, f"{c} – {n}") for i, c, n in db.session.execute(q)])
    if request.method == "POST" and form.validate_on_submit():
        issued = []
        with one_commit() as done:
            issued = ops.issue_official_accounts(current_user, form.unit_id.data, form.scheme.data)
        if done["ok"]:
            if not issued:
                flash("Mọi cán bộ của đơn vị đã có tài khoản (hoặc chưa đủ thông tin).", "info")
                return redirect(url_for("auth.issue_accounts", unit_id=form.unit_id.data,
                                        scheme=form.scheme.data))
            flash(f"Đã cấp {len(issued)} tài khoản.", "success")
            return issued_passwords_page(issued)
    ready = skipped = None
    if form.unit_id.data and form.unit_id.data in {c.value for c in form.unit_id.choices}:
        try:
            ready, skipped = ops.plan_official_accounts(current_user, form.unit_id.data,
                                                        form.scheme.data or "code")
        except DomainError as e:
            flash(str(e), "danger")
    return render_template("auth/issue.html", form=form, ready=ready, skipped=skipped)


@bp.route("/tai-khoan/mat-khau-ban-dau.xlsx", methods=["POST"])
@role_required(*MANAGERS)
def issued_download():
    """The passwords of the page just shown, as .xlsx for HR to print. Only accounts the user
    manages that still wait for their first change are written; nothing is kept on the server."""
    if not ActionForm().validate_on_submit():
        abort(400)
    names = request.form.getlist("u")[:MAX_DOWNLOAD_ROWS]
    passwords = request.form.getlist("p")[:MAX_DOWNLOAD_ROWS]
    if len(names) != len(passwords):
        abort(400)
    users = ops.still_initial(current_user, names)
    issued = [ops.Issued(u.username, u.display_name, p[:64], ops.account_place(u))
              for name, p in zip(names, passwords) if (u := users.get(ops.normalise_username(name)))]
    unit = current_user.unit.name if current_user.unit else "Toàn tỉnh"
    response = xlsx_response({"Tài khoản": ops.issued_frame(issued)},
                             title="Tài khoản và mật khẩu ban đầu (đổi ở lần đăng nhập đầu tiên)",
                             unit=unit, filename="tai-khoan-mat-khau-ban-dau.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response
