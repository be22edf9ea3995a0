from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DecimalField, EmailField, HiddenField, IntegerField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ..models import Role


class StaffForm(FlaskForm):
    display_name = StringField("Name", validators=[DataRequired("Enter a name."),
                                                   Length(max=120, message="At most 120 characters.")],
                               render_kw={"autocomplete": "off"})
    email = EmailField("Email (used to sign in)",
                       validators=[DataRequired("Enter an email address."),
                                   Length(max=254, message="At most 254 characters.")],
                       render_kw={"autocomplete": "off"})
    role = SelectField("Role", validators=[DataRequired("Choose a role.")])
    school_id = SelectField("School", coerce=int)
    # Only on the "add a person" form.
    send_invitation = BooleanField("E-mail an invitation to choose a password", default=True)

    def set_choices(self, roles: tuple[Role, ...], schools) -> None:
        self.role.choices = [(role.value, role.label) for role in roles]
        self.school_id.choices = [(school.id, school.name) for school in schools]
        if any(role is Role.NETWORK_ADMIN for role in roles):
            self.school_id.choices.insert(0, (0, "No school (network admin)"))


class SchoolForm(FlaskForm):
    name = StringField("School name", validators=[DataRequired("Enter the school's name."),
                                                  Length(max=120, message="At most 120 characters.")])


class SchoolEditForm(SchoolForm):
    retention_days = IntegerField(
        "Keep pupil-level records for (days)",
        validators=[Optional(), NumberRange(min=0, max=3650, message="Enter a number of days from 0 to 3650.")])
    photo_grace_days = IntegerField(
        "Keep the photos of a pupil whose photo consent is withdrawn for (days)",
        validators=[Optional(), NumberRange(min=0, max=365, message="Enter a number of days from 0 to 365.")])
    timezone = StringField("Time zone", validators=[Optional(), Length(max=64, message="At most 64 characters.")])
    local_passwords = SelectField("How the school's staff sign in", choices=[
        ("on", "With an lsweb password (and the school's directory, when it is set up)"),
        ("off", "Only through the school's directory (LDAP / Active Directory, or OpenID Connect)")], validators=[Optional()])


class ImportForm(FlaskForm):
    school_id = SelectField("School", coerce=int)
    file = FileField("CSV file with the columns name, email, role",
                     validators=[FileRequired("Choose a CSV file.")])


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    school_id = HiddenField(validators=[DataRequired(), Regexp(r"^\d+$")])
    skip_bad = BooleanField("Import only the rows without errors and leave out the others")
    invite = BooleanField("E-mail each person an invitation to choose their password (the link works once, for "
                          "a limited time)", default=True)


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""


class AllowanceForm(FlaskForm):
    hours = DecimalField("Protected time per member and school year (hours)", places=1,
                         validators=[InputRequired("Enter a number of hours."),
                                     NumberRange(min=0, max=200, message="Enter a number of hours from 0 to 200.")],
                         render_kw={"inputmode": "decimal"})


class ColumnMappingForm(FlaskForm):
    """The import's mapping step: which column of the file is what, and a role for everyone."""

    token = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    school_id = HiddenField(validators=[DataRequired(), Regexp(r"^\d+$")])
    name = SelectField("Full name", default="")
    first = SelectField("First name (forename)", default="")
    last = SelectField("Last name (surname)", default="")
    email = SelectField("Email", default="")
    role = SelectField("Role or job title", default="")
    default_role = SelectField("Role for rows without one", default="")

    def set_choices(self, header: list[str], roles) -> None:
        columns = [("", "(none)")] + [(str(index), cell[:60] or f"column {index + 1}")
                                      for index, cell in enumerate(header)]
        for name in ("name", "first", "last", "email", "role"):
            getattr(self, name).choices = columns
        self.default_role.choices = [("", "(none: every row has a role)")] + [(r.value, r.label) for r in roles]


class JobTitlesForm(FlaskForm):
    titles = TextAreaField("Job titles and their roles, one a line: “Job title = role”",
                           validators=[Length(max=20000, message="At most 20,000 characters.")])
