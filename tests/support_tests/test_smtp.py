"""aiosmtpd receives real SMTP sessions, parses them, and enforces AUTH when configured."""

import smtplib
from email.message import EmailMessage

import pytest


def _message(subject="Incident INC-1 opened"):
    message = EmailMessage()
    message["From"] = "AIOps <aiops@example.com>"
    message["To"] = "ops@example.com"
    message["Subject"] = subject
    message.set_content("plain body \u2713")
    message.add_alternative("<p>html body</p>", subtype="html")
    return message


def test_receives_and_parses_messages(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.send_message(_message(), to_addrs=["ops@example.com", "cc@example.com"])

    [mail] = smtp_server.wait_for(1)
    assert mail.mail_from == "aiops@example.com"
    assert mail.rcpt_tos == ["ops@example.com", "cc@example.com"]
    assert mail.message["Subject"] == "Incident INC-1 opened"
    assert mail.message.get_body(("plain",)).get_content().strip() == "plain body \u2713"
    assert "html body" in mail.message.get_body(("html",)).get_content()
    assert mail.auth_login is None and b"Subject: Incident INC-1 opened" in mail.raw


def _auth(client, mechanism, user, password):
    client.ehlo()
    client.user, client.password = user, password
    client.auth(mechanism, getattr(client, f"auth_{mechanism}"))


@pytest.mark.parametrize("mechanism", ["login", "plain"])
def test_auth_is_required_and_checked(smtp_server_factory, mechanism):
    server = smtp_server_factory(username="relay", password="pw")

    with smtplib.SMTP(server.host, server.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(_message())
        assert refused.value.smtp_code == 530

    with (
        smtplib.SMTP(server.host, server.port, timeout=5) as client,
        pytest.raises(smtplib.SMTPAuthenticationError),
    ):
        _auth(client, mechanism, "relay", "wrong")

    with smtplib.SMTP(server.host, server.port, timeout=5) as client:
        _auth(client, mechanism, "relay", "pw")
        client.send_message(_message("with auth"))

    [mail] = server.wait_for(1)
    assert mail.auth_login == "relay" and mail.message["Subject"] == "with auth"
