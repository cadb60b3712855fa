from accounts import services
from accounts.models import User

DEMO_CUSTOMER = "customer@kalytera.example"
DEMO_STAFF = "staff@kalytera.example"
DEMO_PASSWORD = "kalytera-demo-password"


def seed(stdout) -> list[str]:
    if not User.objects.filter(email=DEMO_CUSTOMER).exists():
        services.create_verified_user(
            email=DEMO_CUSTOMER,
            password=DEMO_PASSWORD,
            company="Northwind Security GmbH",
            phone="+49301234567",
        )
    if not User.objects.filter(email=DEMO_STAFF).exists():
        staff = services.create_staff_user(email=DEMO_STAFF, password=DEMO_PASSWORD, group=None)
        staff.is_superuser = True
        staff.save(update_fields=["is_superuser"])
    return [
        f"Customer login: {DEMO_CUSTOMER} / {DEMO_PASSWORD}",
        f"Staff login:    {DEMO_STAFF} / {DEMO_PASSWORD} (all permissions; "
        "sets up two-factor authentication at the first visit of the staff admin)",
    ]
