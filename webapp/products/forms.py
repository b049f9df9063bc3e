"""Forms of the Products pages."""

import re

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, Regexp

DAYS_HELP = (
    "Leave empty for access with no time limit. Counted from each payment; for a "
    "subscription, each renewal gives this many days from its payment."
)


class ProductForm(FlaskForm):
    """A product as the checkout names it."""

    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    external_id = StringField(
        "Checkout product id",
        validators=[
            InputRequired(),
            Length(max=128),
            Regexp(r"^\S+$", message="The id has no spaces (copy it from your checkout)."),
        ],
    )
    access_days = IntegerField(
        "Remove access after how many days",
        validators=[Optional(), NumberRange(min=1, max=36500, message="Between 1 and 36500 days.")],
    )


class VariantForm(FlaskForm):
    """A price variant; its access days win over the product's."""

    name = StringField("Variant name", validators=[InputRequired(), Length(max=200)])
    external_id = StringField(
        "Checkout variant id",
        validators=[InputRequired(), Length(max=128), Regexp(r"^\S+$", message="No spaces.")],
    )
    access_days = IntegerField(
        "Remove access after how many days",
        validators=[Optional(), NumberRange(min=1, max=36500, message="Between 1 and 36500 days.")],
    )


class ManualAccessForm(FlaskForm):
    """Access given by hand: a gift, staff, a giveaway."""

    email = EmailField(
        "Buyer's email",
        validators=[InputRequired(message="Enter the email the claim link goes to."),
                    Email(check_deliverability=False, message="Enter an email like name@example.com.")],
    )  # fmt: skip
    discord_user_id = StringField(
        "Discord user ID (optional)",
        validators=[Optional(), Regexp(r"^\d{17,20}$", message="A Discord user ID is 17 to 20 digits.")],
    )  # fmt: skip
    days = IntegerField(
        "Days of access",
        validators=[Optional(), NumberRange(min=1, max=36500, message="Between 1 and 36500 days.")],
    )


PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
KNOWN = ("name", "product", "server", "ends_at", "renew_url")


def _placeholders(form, field):
    unknown = [p for p in PLACEHOLDER.findall(field.data or "") if p not in KNOWN]
    if unknown:
        raise ValidationError(
            f"Unknown placeholder {{{unknown[0]}}}: use "
            + ", ".join(f"{{{k}}}" for k in KNOWN)
            + "."
        )


class MessagesForm(FlaskForm):
    """The product's messages to its buyers."""

    renewal_url = StringField(
        "Renewal link",
        validators=[Optional(), Length(max=500),
                    Regexp(r"^https?://\S+$", message="A link starting with https://.")],
    )  # fmt: skip
    reminder_days = IntegerField(
        "Remind how many days before access ends",
        validators=[Optional(), NumberRange(min=1, max=60, message="Between 1 and 60 days.")],
    )
    reminder_by = SelectField(
        "Send the reminder by",
        choices=[
            SelectChoice("dm", "Discord DM (mail when DMs are closed)"),
            SelectChoice("mail", "Mail"),
            SelectChoice("both", "Discord DM and mail"),
        ],  # fmt: skip
    )
    reminder_text = TextAreaField("Reminder text", validators=[Length(max=1500), _placeholders])
    welcome_text = TextAreaField("Welcome DM", validators=[Length(max=1500), _placeholders])
    payment_failed_text = TextAreaField(
        "Payment failed message", validators=[Length(max=1500), _placeholders]
    )
