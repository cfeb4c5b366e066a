"""Signing in and out, passwords (change, forgotten, reset) and the account screens
(docs/accounts.md). Views parse, call one operation, commit once."""
from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, g, make_response, redirect,
                   render_template, request, session, url_for)
from flask_login import current_user, login_required, login_user, logout_user

from trainer.auth import operations as ops
from trainer.auth import sessions, tokens
from trainer.auth.forms import (AccountFilterForm, AccountForm, ActionForm, ChangePasswordForm,
                                ForgotPasswordForm, IssueAccountsForm, LoginForm, ResetPasswordForm)
from trainer.auth.models import ROLES, ApiCredential, User
from trainer.catalog.models import Provider
from trainer.core import events
from trainer.core.display import fold, vntime
from trainer.core.errors import DomainError
from trainer.core.exports import xlsx_response
from trainer.core.extensions import db, limiter, login_manager
from trainer.core.forms_util import options
from trainer.core.params import MAX_PAGE, arg_id, arg_int, link_args
from trainer.core.timeutil import aware, utcnow
from trainer.core.views_util import one_commit, role_required
from trainer.org.models import Unit
from trainer.people.models import Official

bp = Blueprint("auth", __name__)

HOME = {"official": "records.me", "school": "cohorts.home", "hr": "targets.dashboard",
        "admin": "targets.dashboard"}
MANAGERS = ("hr", "admin")
PAGE = 50
MAX_DOWNLOAD_ROWS = 5000
# Where an account that must change its one-time password may still go.
OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static", "health.healthz",
                       "bootstrap.static"}
SESSION_KEY = "sid"  # the session's token, in the signed cookie (trainer.auth.sessions)


@login_manager.user_loader
def load_user(user_id: str):
    """The session's account, if it is active and the session itself is still open on the
    server (trainer.auth.sessions): logged out, ended elsewhere, idle or too old → anonymous."""
    if not (user_id or "").isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    row = sessions.open_session(session.get(SESSION_KEY), user)
    if row is None:
        g.session_ended = True
        return None
    g.user_session = row
    return user


@login_manager.unauthorized_handler
def _sign_in_first():
    if g.pop("session_ended", False):
        session.clear()
        flash("Phiên làm việc đã kết thúc (đăng xuất, quá lâu không thao tác hoặc kết thúc ở nơi "
              "khác). Vui lòng đăng nhập lại.", "warning")
    else:
        flash("Vui lòng đăng nhập để tiếp tục.", "warning")
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target.rstrip("?") if target else None))


@bp.before_app_request
def _session_checks():
    """Every request: the account is loaded afresh (Flask-Login keeps it on `g`, which lives as
    long as the app context — one request in production, a whole test in the suite); its
    session is marked seen; one with a one-time password changes it before anything else."""
    g.pop("_login_user", None)
    if request.endpoint == "static" or request.blueprint in ("api", "xapi", "health", "bootstrap"):
        return None
    if not current_user.is_authenticated:
        return None
    row = g.get("user_session")
    if row is not None and sessions.touch(row):
        db.session.commit()
    if current_user.must_change_password and request.endpoint not in OPEN_WHILE_CHANGING:
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


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def sign_in(user: User) -> None:
    """A new session on the server and a new cookie: nothing of the session from before the
    sign-in carries over."""
    session.clear()
    token = sessions.start_session(user, address=request.remote_addr or "",
                                   user_agent=request.user_agent.string)
    session[SESSION_KEY] = token
    login_user(user)


@bp.route("/dang-nhap", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])  # per address
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        name = ops.normalise_username(form.username.data)
        until = sessions.locked_until(name)
        user = None if until else ops.authenticate(name, form.password.data)
        if until:
            events.audit_access("login_failed", actor_name=name, detail="tài khoản đang tạm khóa")
            flash(f"Tài khoản “{name}” đang tạm khóa vì nhập sai mật khẩu nhiều lần: thử lại sau "
                  f"{vntime(until)} hoặc nhờ quản trị viên mở khóa.", "danger")
            status = 429
        elif user is None:
            sessions.count_failure(name)
            events.audit_access("login_failed", actor_name=name)
            flash("Tên đăng nhập hoặc mật khẩu không đúng.", "danger")
        else:
            sessions.unlock(name)
            sign_in(user)
            with one_commit():
                ops.record_login(user)
            events.audit_access("login", actor=user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next", "")))
    return render_template("auth/login.html", form=form), status


@bp.route("/dang-xuat", methods=["POST"])
@login_required
def logout():
    user = current_user._get_current_object()
    with one_commit("Đã đăng xuất."):
        sessions.end_session(session.get(SESSION_KEY), "logout")
    events.audit_access("logout", actor=user)
    logout_user()
    session.clear()
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
                                current_password=form.current_password.data,
                                keep_session=session.get(SESSION_KEY))
        if done["ok"]:
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
        return ops.Scope(unit_id=arg_id("unit_id", source=request.form) or form.unit_id.data)
    if role == "school":
        if not form.provider_id.data:
            raise DomainError("Chọn cơ sở đào tạo của tài khoản.")
        return ops.Scope(provider_id=arg_id("provider_id", source=request.form)
                         or form.provider_id.data)
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
    q = (sa.select(User.id, User.username, User.display_name, User.email, User.role, User.active,
                   User.must_change_password, User.last_login_at,
                   sa.func.coalesce(Unit.name, Provider.name).label("scope"))
         .outerjoin(Official, Official.id == User.official_id)
         .outerjoin(Unit, Unit.id == sa.func.coalesce(Official.unit_id, User.unit_id))
         .outerjoin(Provider, Provider.id == User.provider_id)
         .where(ops.accounts_filter(current_user)).order_by(User.username))
    if form.role.data:
        q = q.where(User.role == form.role.data)
    status = {"active": User.active.is_(True), "disabled": User.active.is_(False),
              "initial": User.must_change_password.is_(True)}.get(form.status.data)
    if status is not None:
        q = q.where(status)
    rows = db.session.execute(q).all()
    if form.q.data:  # diacritics ignored: folded here, not in SQL
        needle = fold(form.q.data.strip())
        rows = [r for r in rows if needle in fold(f"{r.username} {r.display_name} {r.email or ''}")]
    page = arg_int("page", min=1, max=MAX_PAGE, default=1)
    total = len(rows)
    args = link_args("page")
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
                           roles=dict(ROLES), scope_code=ops.scope_code(user),
                           locked_until=sessions.locked_until(user.username),
                           open_sessions=sessions.open_sessions(user))


@bp.route("/tai-khoan/<int:user_id>/mo-khoa-dang-nhap", methods=["POST"])
@role_required(*MANAGERS)
def unlock_sign_in(user_id: int):
    """Lift the lock that wrong passwords put on the account's username."""
    user = _account_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    sessions.unlock(user.username)
    with one_commit(f"Đã mở khóa đăng nhập cho “{user.username}”."):
        events.audit("account", subject_type="account", subject_id=user.id,
                     detail=f"mở khóa đăng nhập của {user.username}")
    return redirect(url_for("auth.account", user_id=user_id))


@bp.route("/tai-khoan/<int:user_id>/ket-thuc-phien", methods=["POST"])
@role_required(*MANAGERS)
def end_account_sessions(user_id: int):
    user = _account_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with one_commit() as done:
        n = sessions.end_sessions(user, "admin")
        events.audit("account", subject_type="account", subject_id=user.id,
                     detail=f"kết thúc {n} phiên đăng nhập của {user.username}")
    if done["ok"]:
        flash(f"Đã kết thúc {n} phiên đăng nhập của “{user.username}”.", "success")
    return redirect(url_for("auth.account", user_id=user_id))


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


# --- API tokens and xAPI keys -----------------------------------------------------------------

def _credentials_filter():
    """Credentials the user may see and revoke: an admin, all; a school, its provider's xAPI
    keys; everyone, their own API tokens."""
    if current_user.role == "admin":
        return sa.true()
    own = ApiCredential.user_id == current_user.id
    if current_user.role == "school" and current_user.provider_id:
        return sa.or_(own, ApiCredential.provider_id == current_user.provider_id)
    return own


@bp.route("/ma-truy-cap")
@login_required
def credentials():
    rows = db.session.scalars(sa.select(ApiCredential).where(_credentials_filter())
                              .order_by(ApiCredential.revoked_at.is_not(None),
                                        ApiCredential.created_at.desc())).all()
    return render_template("auth/credentials.html", rows=rows, now=utcnow(), aware=aware,
                           form=ActionForm())


@bp.route("/ma-truy-cap/<int:cred_id>/thu-hoi", methods=["POST"])
@login_required
def revoke_credential(cred_id: int):
    cred = db.session.scalar(sa.select(ApiCredential).where(ApiCredential.id == cred_id,
                                                            _credentials_filter()))
    if cred is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    with one_commit(f"Đã thu hồi mã {cred.key}: mọi yêu cầu dùng mã này từ nay bị từ chối."):
        tokens.revoke_credential(cred)
        events.audit("token", subject_type="credential", subject_id=cred.id,
                     detail=f"thu hồi {cred.kind} {cred.key}")
    return redirect(url_for("auth.credentials"))
