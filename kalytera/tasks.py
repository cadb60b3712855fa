from django.tasks import task

from kalytera import mail


@task()
def deliver_email(email_id: int) -> str:
    return mail.deliver(email_id)
