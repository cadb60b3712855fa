"""Licensing workflows: what machines, customers and staff do with a license.

Every function is keyword-only and runs in one transaction. Rules that must hold under
concurrency are enforced by the database: the license row is locked (SELECT ... FOR
UPDATE) before machines are counted, and a partial unique index keeps one active
binding per machine and license. Failures raise ``LicensingError`` with a stable code;
refusals worth remembering are recorded as events first, then raised.
"""

from licensing.services.common import (
    ActivationResult,
    Actor,
    Deactivation,
    IssuedLicense,
    LicensingError,
    ValidationResult,
    events_in_last_year,
    fingerprint_hash,
    moves_left,
)
from licensing.services.customers import claim_license, license_references, reveal_key
from licensing.services.machines import (
    DEACTIVATION_RETRY_WINDOW,
    activate_machine,
    activate_offline,
    deactivate_machine,
    deactivate_offline,
    machine_certificate,
    release_machine,
    validate,
)
from licensing.services.staff import (
    MAX_BATCH,
    STATUS_CHANGES,
    change_status_with_notice,
    issue_batch,
    issue_license,
    reinstate_license,
    release_for_customer,
    renew_license,
    revoke_license,
    suspend_license,
    take_batch_csv,
)
from licensing.services.trials import start_trial, trial_plans, tried_products

__all__ = [
    "DEACTIVATION_RETRY_WINDOW",
    "MAX_BATCH",
    "STATUS_CHANGES",
    "ActivationResult",
    "Actor",
    "Deactivation",
    "IssuedLicense",
    "LicensingError",
    "ValidationResult",
    "activate_machine",
    "activate_offline",
    "change_status_with_notice",
    "claim_license",
    "deactivate_machine",
    "deactivate_offline",
    "events_in_last_year",
    "fingerprint_hash",
    "issue_batch",
    "issue_license",
    "license_references",
    "machine_certificate",
    "moves_left",
    "reinstate_license",
    "release_for_customer",
    "release_machine",
    "renew_license",
    "reveal_key",
    "revoke_license",
    "start_trial",
    "suspend_license",
    "take_batch_csv",
    "trial_plans",
    "tried_products",
    "validate",
]
