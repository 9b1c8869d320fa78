"""WTForms forms (Flask-WTF: every form carries a csrf_token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..boundaries.rules import IMPORT_TOLERANCE_M


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


class ImportForm(FlaskForm):
    """Upload a boundary file or an incident table (admin): the options of POST /api/v1/imports."""

    file = FileField(_l("文件（GeoJSON、Shapefile 压缩包、KML、GeoPackage、FlatGeobuf、CSV、Excel）"),
                     validators=[FileRequired()])
    level = SelectField(_l("层级"), choices=[
        SelectChoice("district", _l("区/县")), SelectChoice("township", _l("街道/镇")),
        SelectChoice("community", _l("社区/村")), SelectChoice("grid", _l("网格")),
        SelectChoice("incident", _l("事件（批量）"))])
    parent_code = StringField(_l("上级代码"), validators=[Length(max=15)])
    mode = SelectField(_l("方式"), choices=[SelectChoice("dry_run", _l("试运行（不写入）")),
                                            SelectChoice("commit", _l("正式导入"))])
    repair = BooleanField(_l("自动修复（make_valid、吸附细缝）"))
    tolerance_m = StringField(_l("细缝宽度阈值（米）"), default=f"{IMPORT_TOLERANCE_M:g}")
    crs = StringField(_l("坐标系（文件未声明时，如 EPSG:4547）"), validators=[Length(max=64)])
    encoding = StringField(_l("Shapefile 文字编码（.cpg 缺失或有误时，如 GB18030）"), validators=[Length(max=32)])
    layer = StringField(_l("图层（GeoPackage 等多图层文件）"), validators=[Length(max=128)])
    gcj02 = BooleanField(_l("文件为 GCJ-02 坐标（转换为 WGS84）"))
    code_field = StringField(_l("代码字段"), validators=[Length(max=64)])
    name_field = StringField(_l("名称字段"), validators=[Length(max=64)])
    category_code = StringField(_l("事件类别代码（表中无类别列时）"), validators=[Length(max=8)])
    as_job = BooleanField(_l("作为后台任务运行（显示进度，可取消；大文件用）"))


class CaseActionForm(FlaskForm):
    """One action on a case (the case page shows one per allowed action): the action, the
    version the user saw (optimistic lock) and the action's parameters."""

    action = HiddenField(validators=[DataRequired()])
    variant = HiddenField()
    version = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
    department_code = SelectField(_l("专业部门"), validate_choice=False, validators=[Optional()])
    handler = SelectField(_l("处置人（可选，可搜索）"), validate_choice=False, validators=[Optional()])
    rating = SelectField(_l("评价"), choices=[SelectChoice(str(n), str(n)) for n in (5, 4, 3, 2, 1)],
                         validators=[Optional()])
    hours = IntegerField(_l("延期小时数"), validators=[Optional(), NumberRange(1, 720)])
    into = IntegerField(_l("并入案件编号"), validators=[Optional()])


class AdminForm(FlaskForm):
    """CSRF token of the admin forms (their fields are read from the request by the route)."""
