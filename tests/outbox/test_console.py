"""The development mailer prints each message once, readable."""

import io

from django.core.mail import EmailMultiAlternatives

from kalytera.config import mailer_settings
from outbox.console import EmailBackend

BODY = "Grüße aus Zürich: your license KAL-1234 was issued and can be activated on " + "every server " * 6


def test_console_mail_prints_the_text_once_decoded():
    assert mailer_settings("console://")["default"]["BACKEND"] == "outbox.console.EmailBackend"
    stream = io.StringIO()
    message = EmailMultiAlternatives(
        "Your license", BODY, "from@kalytera.example", ["carla@customer.example"]
    )
    message.attach_alternative(f"<p>{BODY}</p>", "text/html")
    EmailBackend(stream=stream).send_messages([message])
    printed = stream.getvalue()
    assert printed.count("Grüße aus Zürich") == 1
    assert "=C3" not in printed and "quoted-printable" not in printed
    assert "Subject: Your license" in printed and "To: carla@customer.example" in printed
    assert "Also sent: text/html" in printed
