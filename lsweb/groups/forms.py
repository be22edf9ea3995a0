from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..models import GroupRole

ROLE_CHOICES = [(role.value, role.label) for role in GroupRole]


class GroupForm(FlaskForm):
    name = StringField("Group name", validators=[DataRequired("Give the group a name."), Length(max=120)])
    focus_pupils = StringField("Which pupils", validators=[Length(max=300)],
                               description="e.g. pupils in Year 4 who find fractions hard")
    focus_learning = StringField("Learn what", validators=[Length(max=300)],
                                 description="e.g. equivalent fractions")
    focus_approach = StringField("Through which approach", validators=[Length(max=300)],
                                 description="e.g. using bar models and talk partners")
    subject = StringField("Subject", validators=[Length(max=80)])
    year_group = StringField("Year group", validators=[Length(max=40)])
    class_name = StringField("Class", validators=[Length(max=80)])
    school_priority = StringField("School development priority it serves", validators=[Length(max=300)])
    background = TextAreaField("Background study: what is already known, earlier studies this builds on",
                               validators=[Length(max=20_000)])


class AddMemberForm(FlaskForm):
    email = EmailField("Colleague's email", validators=[DataRequired("Enter the colleague's email."),
                                                        Length(max=254)])
    role = SelectField("Role in the group", choices=ROLE_CHOICES, default="member")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class LinkForm(FlaskForm):
    builds_on = SelectField("Builds on the study", coerce=int, validators=[DataRequired("Choose a study.")])


class PupilForm(FlaskForm):
    label = StringField("Label (a pseudonym such as “Pupil A”; never a real name)",
                        validators=[DataRequired("Give the pupil a label such as “Pupil A”."), Length(max=40)])
    represents = StringField("The group of learners this pupil stands for", validators=[Length(max=300)],
                             description="e.g. finds it hard / in the middle / ahead")
    attainment = TextAreaField("Current attainment in the focus", validators=[Length(max=500)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])
    not_a_name = BooleanField("This label is not the pupil's real name")
    photo_consent = BooleanField(
        "The school holds consent for photos of this pupil's work",
        description="Without it, observers cannot upload photos of the pupil's work. Unticking it hides the "
                    "photos already taken at once; they are deleted after the school's grace period (ticking "
                    "it again before then keeps them).")
