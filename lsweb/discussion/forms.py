from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp

from ..models.discussion import MARKS
from .services import MAX_REASON

MARK_CHOICES = [("", "No mark")] + list(MARKS.items())


class PostForm(FlaskForm):
    """A new post or a reply. The body's limits are the service's (its message keeps the text); the
    token makes a form sent twice (a double click, a resend after a dropped network) one post."""
    section = HiddenField()
    parent_id = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,18}\Z")])
    token = HiddenField()
    body = TextAreaField("Your post")
    mark = SelectField("Mark", choices=MARK_CHOICES, default="")


class EditForm(FlaskForm):
    body = TextAreaField("Edit your post")


class HideForm(FlaskForm):
    reason = StringField("Reason (everyone sees it)", validators=[Length(max=MAX_REASON)])


class MarkForm(FlaskForm):
    mark = SelectField("Mark", choices=MARK_CHOICES, default="")


class RolesForm(FlaskForm):
    chair_id = SelectField("Chair", coerce=int)
    recorder_id = SelectField("Recorder", coerce=int)


class GuestForm(FlaskForm):
    email = EmailField("Guest's email", validators=[Length(max=254)], render_kw={"autocomplete": "off"})
