"""Forms of the account pages."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import Email, EqualTo, InputRequired, Length

PASSWORD_RULE = Length(min=10, max=200, message="Use at least 10 characters.")


class SignupForm(FlaskForm):
    """Create a seller account."""

    email = EmailField("Email", validators=[InputRequired(), Email(check_deliverability=False)])
    password = PasswordField("Password", validators=[InputRequired(), PASSWORD_RULE])
    confirm = PasswordField(
        "Repeat password",
        validators=[InputRequired(), EqualTo("password", message="The passwords differ.")],
    )


class LoginForm(FlaskForm):
    """Log in."""

    email = EmailField("Email", validators=[InputRequired(), Email(check_deliverability=False)])
    password = PasswordField("Password", validators=[InputRequired()])
    remember = BooleanField("Keep me logged in on this device")


class PasswordForm(FlaskForm):
    """Change the password."""

    current = PasswordField("Current password", validators=[InputRequired()])
    new = PasswordField("New password", validators=[InputRequired(), PASSWORD_RULE])
    confirm = PasswordField(
        "Repeat new password",
        validators=[InputRequired(), EqualTo("new", message="The passwords differ.")],
    )
