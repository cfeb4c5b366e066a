from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from trainer.auth.forms import LoginForm
from trainer.auth.models import User
from trainer.auth.operations import authenticate
from trainer.extensions import db, login_manager

bp = Blueprint("auth", __name__)

HOME = {"official": "people.me", "school": "school.home", "hr": "targets.dashboard",
        "admin": "targets.dashboard"}


@login_manager.user_loader
def load_user(user_id: str):
    return db.session.get(User, int(user_id))


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME[current_user.role]))


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            flash("Tên đăng nhập hoặc mật khẩu không đúng.", "danger")
        else:
            login_user(user)
            target = request.args.get("next", "")
            if not target or urlsplit(target).netloc or not target.startswith("/"):
                target = url_for("auth.index")
            return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.route("/dang-xuat", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("Đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))
