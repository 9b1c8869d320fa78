"""WTForms forms (Flask-WTF: every form carries a csrf_token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange


class LoginForm(FlaskForm):
    """Fields: username, password, remember; plus csrf_token."""

    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("记住我"))


class LogoutForm(FlaskForm):
    """An empty form: logout is a POST carrying only the CSRF token."""


class IncidentForm(FlaskForm):
    """Report an incident: category, description, and a WGS84 point (lon/lat degrees)."""

    category_code = SelectField(_l("事件类别"), validators=[DataRequired()])
    description = TextAreaField(_l("事件描述"), validators=[DataRequired(), Length(max=2000)])
    lon = DecimalField(_l("经度"), places=6, validators=[DataRequired(), NumberRange(-180, 180)])
    lat = DecimalField(_l("纬度"), places=6, validators=[DataRequired(), NumberRange(-90, 90)])
