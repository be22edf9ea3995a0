from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp


class SignForm(FlaskForm):
    version_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,18}\Z")])
    agree = BooleanField("I have read the whole protocol above and agree to it")
    typed_name = StringField("Type your name to sign", validators=[Length(max=120)],
                             render_kw={"autocomplete": "name"})


class AmendForm(FlaskForm):
    based_on = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,18}\Z")])
    text = TextAreaField("Protocol text", validators=[DataRequired("The protocol cannot be empty."),
                                                      Length(max=50_000, message="At most 50,000 characters.")])
    note = StringField("What changed, in a few words", validators=[Length(max=300)])


class SchoolProtocolForm(FlaskForm):
    text = TextAreaField("Default protocol for new groups",
                         validators=[DataRequired("The protocol cannot be empty."),
                                     Length(max=50_000, message="At most 50,000 characters.")])
