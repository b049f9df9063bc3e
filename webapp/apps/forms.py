"""Forms of the Apps pages."""

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class AppForm(FlaskForm):
    """Name an app (one Discord server connection)."""

    name = StringField("Name", validators=[InputRequired(), Length(max=100)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])
