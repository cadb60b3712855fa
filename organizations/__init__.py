"""Organizations: the companies (and single people) that hold licenses, and the roles of their members.

Our own models rather than ``django-organizations``. That library (2.x, last released for
Django 5.x) models a single ``OrganizationOwner`` plus an ``is_admin`` flag per member: it
has no room for several owners or for a third role, and its invitation backends create
users outside allauth's verified-address flow. What we need is two small tables with the
rules in the database (one membership per person and organization, a role from a closed
list), so the library would have cost more code to bend than it saves.

Every person gets a *personal organization* (``Organization.personal_for``) that owns the
licenses they claim alone, so accounts from before organizations keep working unchanged.
An organization can grant another, its integrator, access to all or chosen licenses
(``IntegratorGrant``, scope view or manage); ``licensing.access`` reads the active grants, and
``organizations.access.notified_members`` decides who is told about a license.
"""
