"""Forms of the sharing pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from .openhouse import MAX_CAPACITY, MAX_TEXT
from .publishing import PHASES, SCOPES


class PublishForm(FlaskForm):
    scope = SelectField("Who may read it", choices=list(SCOPES.items()), validators=[DataRequired()])
    phase = SelectField("Phase", choices=[("", "From the year group")] + list(PHASES.items()),
                        validators=[Optional()])


class EvidenceForm(FlaskForm):
    kind = SelectField("Kind", choices=[("observation", "Observation"), ("interview", "Interview"),
                                        ("finding", "Finding")])
    source = IntegerField("Source", validators=[InputRequired()])


class RedactionForm(FlaskForm):
    items = SelectMultipleField("Confirmed", choices=[], validate_choice=False)


class OpenHouseForm(FlaskForm):
    capacity = IntegerField("Places for visitors", default=6,
                            validators=[InputRequired(), NumberRange(1, MAX_CAPACITY)])
    what_to_watch = TextAreaField("What to watch", validators=[Length(max=MAX_TEXT)])
    guests_part = TextAreaField("The guests' part of the protocol", validators=[Length(max=MAX_TEXT)])


class FairForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    on = DateField("Date", validators=[InputRequired()])
    place = StringField("Place", validators=[Length(max=200)])


class FairItemForm(FlaskForm):
    publication = IntegerField("Study", validators=[InputRequired()])
    slot = StringField("Time or room", validators=[Length(max=40)])
