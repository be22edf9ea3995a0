from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email."), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired("Enter your password."),
                                                     Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password."),
                                                                      Length(max=200)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("New password (at least 10 characters)",
                                 validators=[DataRequired("Enter a new password."), Length(max=200)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("New password again",
                            validators=[DataRequired("Enter the new password again."),
                                        EqualTo("new_password", "The two new passwords differ.")],
                            render_kw={"autocomplete": "new-password"})


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email."), Length(max=254)],
                       render_kw={"autocomplete": "username"})


class SetPasswordForm(FlaskForm):
    new_password = PasswordField("New password (at least 10 characters)",
                                 validators=[DataRequired("Enter a new password."), Length(max=200)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("New password again",
                            validators=[DataRequired("Enter the new password again."),
                                        EqualTo("new_password", "The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})


class TwoStepCodeForm(FlaskForm):
    code = StringField("The 6-digit code from your authenticator app (or a recovery code)",
                       validators=[DataRequired("Enter the code your app shows."), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"})


class TwoStepOffForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired("Enter your password."), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    code = StringField("A code from your app (or a recovery code)",
                       validators=[DataRequired("Enter the code your app shows."), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
