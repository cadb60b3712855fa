"""The development mailer: each message printed once, as a person reads it.

Django's console backend prints the raw MIME message: our emails carry a plain-text and
an HTML part, so every sentence appears twice, and both are quoted-printable ("=C3=BC",
lines broken with "="). This prints the headers a reader needs, the plain-text body
decoded, and the names of the other parts.
"""

from django.core.mail import EmailMessage
from django.core.mail.backends import console


class EmailBackend(console.EmailBackend):
    def write_message(self, message: EmailMessage) -> None:
        headers = {
            "From": message.from_email,
            "To": ", ".join(message.to),
            "Cc": ", ".join(message.cc),
            "Reply-To": ", ".join(message.reply_to),
            "Subject": message.subject,
        }
        for name, value in headers.items():
            if value:
                self.stream.write(f"{name}: {value}\n")
        others = [mimetype for _content, mimetype in getattr(message, "alternatives", [])]
        others += [
            getattr(attachment, "filename", None) or "attachment" for attachment in message.attachments
        ]
        if others:
            self.stream.write(f"Also sent: {', '.join(others)}\n")
        self.stream.write(f"\n{message.body}\n")
        self.stream.write("-" * 79 + "\n")
