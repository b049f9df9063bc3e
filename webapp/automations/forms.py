"""The automation form; product and role choices come from the seller's data."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from webapp.automations.domain import LABELS

NEW_ROLE = "__new__"


class AutomationForm(FlaskForm):
    """When <event> for <product>, do <action> (with <role>)."""

    product = SelectField("Product", validators=[Optional()])
    event = SelectField(
        "When", choices=[SelectChoice(e, LABELS[e]) for e in ("purchase", "expiry")]
    )
    action = SelectField(
        "Do",
        choices=[
            SelectChoice(a, LABELS[a])
            for a in ("add_to_server", "assign_role", "revoke_role", "remove_from_server")
        ],
    )
    role = SelectField("Role", validators=[Optional()], validate_choice=False)
    new_role_name = StringField("New role name", validators=[Optional(), Length(max=100)])
    enabled = BooleanField("Enabled", default=True)
    give_back = BooleanField("Give it back if removed", default=True)

    def fill(self, products, app):
        """Offer the seller's products and the server's roles."""
        from webapp.apps import connection

        self.product.choices = [SelectChoice("", "Any product of this app")] + [
            SelectChoice(str(p.id), p.name) for p in products
        ]
        self.role.choices = (
            [SelectChoice("", "Choose a role…")]
            + [
                SelectChoice(r["id"], r["name"])
                for r in connection.role_rows(app)
                if r["manageable"]
            ]
            + [SelectChoice(NEW_ROLE, "Create a new role…")]
        )
        return self
