"""Forms of Settings → Checkouts."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp

from webapp.models.checkouts import PROVIDERS


class NewCheckoutForm(FlaskForm):
    """A new connection: a name and which checkout it is."""

    name = StringField("Name", validators=[InputRequired(), Length(max=100)])
    provider = SelectField(
        "Checkout", choices=[SelectChoice(k, v) for k, v in PROVIDERS.items() if k != "rolegate"]
    )


class SecretForm(FlaskForm):
    """The provider-issued signing secret (replaceable, never shown again)."""

    secret = PasswordField(
        "Signing secret",
        validators=[InputRequired(message="Paste the signing secret your checkout shows."),
                    Length(max=200), Regexp(r"^\S+$", message="A secret has no spaces.")],
    )  # fmt: skip


class StripeKeyForm(FlaskForm):
    """Stripe's optional restricted key, to read line items and catch up."""

    api_key = PasswordField(
        "Restricted API key",
        validators=[Optional(), Length(max=200),
                    Regexp(r"^rk_(test|live)_\S+$",
                           message="A restricted key starts with rk_test_ or rk_live_.")],
    )  # fmt: skip


class PaddleKeyForm(FlaskForm):
    """Paddle's optional API key, to read a buyer's email when no customer event came."""

    api_key = PasswordField(
        "API key",
        validators=[Optional(), Length(max=200),
                    Regexp(r"^pdl_(live|sdbx)_apikey_\S+$",
                           message="A Paddle API key starts with pdl_live_apikey_ or "
                                   "pdl_sdbx_apikey_.")],
    )  # fmt: skip


KEY_FORMS = {"stripe": StripeKeyForm, "paddle": PaddleKeyForm}


class GumroadAccountForm(FlaskForm):
    """Gumroad's seller ID, which every ping must name."""

    account_id = StringField(
        "Gumroad seller ID",
        validators=[InputRequired(message="Paste the seller ID Gumroad shows."),
                    Length(max=100), Regexp(r"^\S+$", message="A seller ID has no spaces.")],
    )  # fmt: skip
