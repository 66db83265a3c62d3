"""The four organisation roles, ordered so that a higher role includes every lower one."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.IntegerChoices):
    VIEWER = 10, _("Viewer")
    OPERATOR = 20, _("Operator")
    ADMIN = 30, _("Admin")
    OWNER = 40, _("Owner")

    @classmethod
    def from_name(cls, name: str) -> "Role":
        try:
            return cls[name.upper()]
        except KeyError:
            raise ValueError(f"unknown role {name!r}; expected one of viewer, operator, admin, owner") from None
