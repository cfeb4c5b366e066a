from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from trainer.auth.models import ROLES
from trainer.auth.operations import USERNAME_SCHEMES
from trainer.core.forms_util import options
from trainer.core.text import clean


class LoginForm(FlaskForm):
    username = StringField("Tên đăng nhập", validators=[DataRequired("Nhập tên đăng nhập."),
                                                        Length(max=120)])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Nhập mật khẩu."),
                                                     Length(max=128)])


class NewPasswordMixin:
    new_password = PasswordField("Mật khẩu mới", validators=[
        DataRequired("Nhập mật khẩu mới."), Length(max=128)],
        description="Ít nhất 10 ký tự; không dùng tên đăng nhập, số định danh, ngày sinh hay "
                    "mật khẩu phổ biến. Một câu ngắn dễ nhớ là mật khẩu tốt.")
    confirm = PasswordField("Nhập lại mật khẩu mới", validators=[
        DataRequired("Nhập lại mật khẩu mới."),
        EqualTo("new_password", "Hai lần nhập mật khẩu mới không khớp.")])


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField("Mật khẩu hiện tại", validators=[
        DataRequired("Nhập mật khẩu hiện tại."), Length(max=128)])


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class ForgotPasswordForm(FlaskForm):
    identifier = StringField("Tên đăng nhập hoặc e-mail", validators=[
        DataRequired("Nhập tên đăng nhập hoặc e-mail."), Length(max=120)])


class AccountForm(FlaskForm):
    """Create (with a username) or edit an account; the scope field used depends on the role."""
    username = StringField("Tên đăng nhập", validators=[Optional(), Length(max=64)],
                           description="Chữ không dấu, số và . _ - @ (ví dụ: tochuc.binhlu).")
    display_name = StringField("Họ và tên", validators=[Optional(), Length(max=120)],
                               description="Để trống với tài khoản cán bộ: lấy tên của cán bộ.")
    email = StringField("E-mail", validators=[Optional(), Length(max=120)],
                        description="Để nhận liên kết “Quên mật khẩu”.")
    role = SelectField("Vai trò", choices=options(ROLES))
    official_code = StringField("Mã cán bộ (vai trò cán bộ, công chức)",
                                validators=[Optional(), Length(max=32)])
    unit_id = SelectField("Đơn vị (vai trò cán bộ tổ chức)", coerce=int, validate_choice=False)
    provider_id = SelectField("Cơ sở đào tạo (vai trò cơ sở đào tạo)", coerce=int,
                              validate_choice=False)


class IssueAccountsForm(FlaskForm):
    unit_id = SelectField("Đơn vị", coerce=int)
    scheme = SelectField("Tên đăng nhập là", choices=options(USERNAME_SCHEMES))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class AccountFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Tìm", validators=[Optional(), Length(max=100)], filters=[clean])
    role = SelectField("Vai trò", choices=options([("", "Mọi vai trò")] + list(ROLES)),
                       validators=[Optional()])
    status = SelectField("Trạng thái", choices=options([
        ("", "Mọi trạng thái"), ("active", "Đang hoạt động"), ("disabled", "Đã khóa"),
        ("initial", "Chưa đổi mật khẩu ban đầu")]), validators=[Optional()])
