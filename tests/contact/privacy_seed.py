"""Contact data for the privacy tests' person: an inquiry with a reply from support."""

from accounts.models import User
from contact import services
from contact.models import Inquiry
from tests.accounts.privacy_seed import COMPANY, NAME, PHONE


def seed(user) -> None:
    inquiry = services.submit_inquiry(
        name=NAME,
        email=user.email,
        company=COMPANY,
        phone=PHONE,
        topic=Inquiry.Topic.PRIVACY,
        message="Which data do you hold about me?",
        user=user,
    )
    agent = User.objects.create_user("agent@kalytera.example", is_staff=True)
    services.send_reply(inquiry=inquiry, author=agent, body=f"Dear {NAME}, see the privacy center.")
