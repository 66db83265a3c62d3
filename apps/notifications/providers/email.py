"""Email through each channel's own SMTP server (host, port, STARTTLS/SSL, credentials).

Each message has a text and an HTML part. Follow-ups (acknowledged, resolved, escalated) carry
`In-Reply-To`/`References` to the first message, so mail clients thread the conversation.
"""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from ..choices import DeliveryKind
from ..conf import send_timeout
from ..messages import Message
from .base import Provider, ProviderError, SendResult, only_keys, require, truncate

KEYS = {
    "smtp_host",
    "smtp_port",
    "security",
    "username",
    "password",
    "from_address",
    "to_addresses",
    "subject_prefix",
}
SECURITY = ("starttls", "ssl", "none")


def _addresses(value) -> list[str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    return [str(v).strip() for v in (value or []) if str(v).strip()]


class EmailProvider(Provider):
    kind = "email"
    kinds = frozenset(set(DeliveryKind.values) - {DeliveryKind.UPDATE})

    def validate_config(self, config: dict) -> dict:
        only_keys(config, KEYS)
        require(config, "smtp_host", "from_address", "to_addresses")
        config = {**config, "to_addresses": _addresses(config["to_addresses"])}
        errors = {}
        try:
            port = int(config.get("smtp_port", 587))
            if not 0 < port < 65536:
                raise ValueError
            config["smtp_port"] = port
        except (TypeError, ValueError):
            errors["smtp_port"] = _("Enter a port between 1 and 65535.")
        if config.setdefault("security", "starttls") not in SECURITY:
            errors["security"] = _("Choose starttls, ssl or none.")
        for key, values in (
            ("from_address", [config["from_address"]]),
            ("to_addresses", config["to_addresses"]),
        ):
            try:
                for value in values:
                    validate_email(value)
            except ValidationError:
                errors[key] = _("Enter valid email addresses.")
        if not config["to_addresses"]:
            errors["to_addresses"] = _("Give at least one recipient.")
        if errors:
            raise ValidationError(errors)
        return config

    def summary(self, config: dict) -> str:
        return _("%(to)s via %(host)s") % {
            "to": ", ".join(_addresses(config.get("to_addresses"))),
            "host": config.get("smtp_host", ""),
        }

    def send(self, *, config: dict, message: Message, ref: dict) -> SendResult:
        security = config.get("security", "starttls")
        backend = EmailBackend(
            host=config["smtp_host"],
            port=int(config.get("smtp_port", 587)),
            username=config.get("username") or "",
            password=config.get("password") or "",
            use_tls=security == "starttls",
            use_ssl=security == "ssl",
            timeout=send_timeout(),
            fail_silently=False,
        )
        domain = config["from_address"].rsplit("@", 1)[-1]
        message_id = make_msgid(domain=domain)
        headers = {"Message-ID": message_id, "X-AIOps-Subject": message.subject_key}
        if ref.get("message_id") and message.kind != DeliveryKind.NEW:
            headers.update({"In-Reply-To": ref["message_id"], "References": ref["message_id"]})
        subject = truncate(f"{config.get('subject_prefix', '')}{message.headline}".replace("\n", " "), 250)
        mail = EmailMultiAlternatives(
            subject=subject,
            body=message.as_text(),
            from_email=config["from_address"],
            to=_addresses(config["to_addresses"]),
            headers=headers,
            connection=backend,
        )
        mail.attach_alternative(
            render_to_string("notifications/email/message.html", {"m": message}), "text/html"
        )
        try:
            mail.send()
        except smtplib.SMTPResponseException as exc:  # includes auth and sender refusals
            raise ProviderError(
                _("SMTP server answered %(code)s") % {"code": exc.smtp_code},
                transient=exc.smtp_code < 500,
                response=str(exc.smtp_error)[:2000],
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise ProviderError(
                _("SMTP server refused the recipients"), transient=False, response=str(exc.recipients)[:2000]
            ) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise ProviderError(
                _("SMTP delivery failed: %(error)s") % {"error": type(exc).__name__}, transient=True
            ) from exc
        ref = {"message_id": ref.get("message_id") or message_id}
        return SendResult(
            response=_("accepted for %(n)d recipient(s), %(id)s") % {"n": len(mail.to), "id": message_id},
            ref=ref,
        )
