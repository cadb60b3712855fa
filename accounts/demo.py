from accounts import services
from accounts.models import User

DEMO_CUSTOMER = "customer@kalytera.example"
DEMO_STAFF = "staff@kalytera.example"
DEMO_PASSWORD = "kalytera-demo-password"
# The demo customer's colleagues, in the demo company (licensing.demo makes it).
DEMO_MANAGER = "manager@kalytera.example"
DEMO_VIEWER = "viewer@kalytera.example"
# An owner of the demo integrator, which looks after the demo company's sites (licensing.demo).
DEMO_INTEGRATOR = "integrator@kalytera.example"


def seed(stdout) -> list[str]:
    if not User.objects.filter(email=DEMO_CUSTOMER).exists():
        services.create_verified_user(
            email=DEMO_CUSTOMER,
            password=DEMO_PASSWORD,
            company="Northwind Security GmbH",
            phone="+49301234567",
        )
    for colleague in (DEMO_MANAGER, DEMO_VIEWER, DEMO_INTEGRATOR):
        if not User.objects.filter(email=colleague).exists():
            services.create_verified_user(email=colleague, password=DEMO_PASSWORD)
    if not User.objects.filter(email=DEMO_STAFF).exists():
        staff = services.create_staff_user(email=DEMO_STAFF, password=DEMO_PASSWORD, group=None)
        staff.is_superuser = True
        staff.save(update_fields=["is_superuser"])
    return [
        f"Customer login: {DEMO_CUSTOMER} / {DEMO_PASSWORD}",
        f"Colleagues in the demo company: {DEMO_MANAGER} (manager), {DEMO_VIEWER} (viewer); same password",
        f"Integrator login: {DEMO_INTEGRATOR} (owner of Northwind Security Integrators, which manages "
        "the demo company's licenses); same password",
        f"Staff login:    {DEMO_STAFF} / {DEMO_PASSWORD} (all permissions; "
        "sets up two-factor authentication at the first visit of the staff admin)",
    ]
