from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import NumberRange, Optional

from ..inputs import parse_id
from .lessons import LessonDetails


class DetailsForm(FlaskForm):
    """When and where the lesson is, and who teaches it (may be decided late)."""

    class Meta:
        csrf = False  # the plan page's POSTs are checked by CSRFProtect (token in the form or header)

    based_on = IntegerField(validators=[Optional()])
    date = DateField("Date", validators=[Optional()])
    start_time = TimeField("Start time", validators=[Optional()])
    duration_minutes = IntegerField("Length (minutes)", default=60,
                                    validators=[Optional(), NumberRange(10, 300, "Between 10 and 300 minutes.")])
    class_name = StringField("Class")
    room = StringField("Room")
    teacher_id = SelectField("Who teaches", coerce=str, validate_choice=True)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.teacher_id.choices = [("", "Not decided yet")] + [
            (str(m.user_id), m.user.display_name) for m in members]

    def details(self) -> LessonDetails:
        teacher = self.teacher_id.data
        return LessonDetails(date=self.date.data, start_time=self.start_time.data,
                             duration_minutes=self.duration_minutes.data or 60,
                             class_name=self.class_name.data or "", room=self.room.data or "",
                             teacher_id=parse_id(teacher))
