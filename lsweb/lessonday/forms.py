from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional

from ..models import NoteKind, Rating, TimeKind

RATING_CHOICES = [(rating.value, rating.label) for rating in Rating]


class NoteForm(FlaskForm):
    client_id = StringField("Note id", validators=[DataRequired("This note has no id: reload the page."),
                                                   Length(min=8, max=64)])
    kind = SelectField("Kind", choices=[(kind.value, kind.label) for kind in NoteKind], default="note")
    pupil_id = IntegerField("Case pupil", validators=[Optional()])
    stage_id = IntegerField("Stage", validators=[Optional()])
    rating = StringField("Compared with the prediction",
                         validators=[Optional(), AnyOf([value for value, _ in RATING_CHOICES],
                                                       "Choose one of the ratings.")])
    text = TextAreaField("What you saw", validators=[Length(max=5000)])
    noted_at = StringField("Noted at", validators=[Optional(), Length(max=40)])
    sent_at = StringField("Sent at", validators=[Optional(), Length(max=40)])


class PhotoForm(FlaskForm):
    pupil_id = IntegerField("Case pupil", validators=[DataRequired("Choose the case pupil.")])
    stage_id = IntegerField("Stage", validators=[Optional()])
    caption = StringField("Caption", validators=[Length(max=200)])
    photo = FileField("Photo of the pupil's work")


class CoverForm(FlaskForm):
    person_id = SelectField("Member", coerce=int, validators=[DataRequired("Choose a member.")])
    class_name = StringField("Class that needs cover", validators=[DataRequired("Say which class needs cover."),
                                                                   Length(max=80)])
    note = StringField("Note for the cover manager", validators=[Length(max=300)])
    covered_by_id = SelectField("Covered by a member of the group (optional)", coerce=int, default=0)


class TimeForm(FlaskForm):
    kind = SelectField("What for", choices=[(kind.value, kind.label) for kind in TimeKind], default="planning")
    minutes = IntegerField("Minutes", validators=[DataRequired("Give the minutes."), NumberRange(5, 480)])
    on = DateField("Date", validators=[DataRequired("Give the date.")])
    note = StringField("Note", validators=[Length(max=200)])
    group_id = SelectField("For which group", coerce=int, default=0)


class TimeEntryForm(FlaskForm):
    """Correcting one of one's own entries."""
    minutes = IntegerField("Minutes", validators=[DataRequired("Give the minutes."), NumberRange(5, 480)])
    on = DateField("Date", validators=[DataRequired("Give the date.")])
    note = StringField("Note", validators=[Length(max=200)])


class PlanningMeetingForm(FlaskForm):
    on = DateField("Date of the meeting", validators=[DataRequired("Give the date.")])
    minutes = IntegerField("Minutes", default=60, validators=[DataRequired("Give the minutes."), NumberRange(5, 480)])
    attendees = SelectMultipleField("Who was there", coerce=int, option_widget=CheckboxInput(),
                                    widget=ListWidget(prefix_label=False))


class NoteEditForm(FlaskForm):
    """Correcting one's own saved note: its text and its rating."""
    rating = StringField("Compared with the prediction",
                         validators=[Optional(), AnyOf([value for value, _ in RATING_CHOICES],
                                                       "Choose one of the ratings.")])
    text = TextAreaField("What you saw", validators=[Length(max=5000, message="A note has at most 5000 characters.")])
