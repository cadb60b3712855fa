import logging
import math
from typing import cast

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from contact import services, spam
from contact.forms import MESSAGE_MAX_CHARS, ContactForm
from contact.spam import TokenProblem
from licensing.services import license_references

logger = logging.getLogger(__name__)

# Far above a full form (5,000 characters of emoji, percent-encoded, is ~60 KB) and far
# below what would cost us to parse.
MAX_REQUEST_BYTES = 128 * 1024
SENT_SALT = "contact.sent"
SENT_PAGE_MAX_AGE = 3600

TOKEN_MESSAGES = {
    TokenProblem.TOO_FAST: (
        "That was quicker than we expect from a person, so we did not send it yet. "
        "Please check your message and press “Send” again."
    ),
    TokenProblem.EXPIRED: "This form was open for a long time. Please check your message and send it again.",
    TokenProblem.INVALID: "We could not check this form. Please check your message and send it again.",
}

ALREADY_SENT = (
    "This form was sent a moment ago and is still being processed. "
    "If no confirmation appears, press “Send” again."
)


@require_http_methods(["GET", "POST"])
def contact_form(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = ContactForm(initial={**ContactForm.initial_for(request), "form_token": spam.issue_token()})
        return _render_form(request, form)

    if _content_length(request) > MAX_REQUEST_BYTES:
        return _refused(
            request,
            status=413,
            title="Your message is too long",
            reason=f"The form takes messages of up to {MESSAGE_MAX_CHARS:,} characters.",
        )
    throttle = spam.throttle_submission(request)
    if not throttle.allowed:
        return _rate_limited(request, retry_after=throttle.retry_after)

    form = ContactForm(request.POST)
    problem = spam.check_token(request.POST.get("form_token", ""))
    if not form.is_valid() or problem is not None:
        if problem is not None:
            form.add_error(None, TOKEN_MESSAGES[problem])
            logger.info("Contact form: time token refused (%s)", problem)
        return _render_form(request, form, retry=True)

    token = form.cleaned_data["form_token"]
    earlier = spam.claim_token(token)
    if earlier:
        return _redirect_to_sent(earlier)
    if earlier == "":
        form.add_error(None, ALREADY_SENT)
        return _render_form(request, form, retry=True)

    data = form.cleaned_data
    inquiry = services.submit_inquiry(
        name=data["name"],
        email=data["email"],
        company=data["company"],
        phone=data["phone"],
        topic=data["topic"],
        license_reference=data["license_reference"],
        message=data["message"],
        user=request.user if request.user.is_authenticated else None,
        trapped=form.is_trapped,
    )
    spam.record_token(token, inquiry.reference)
    return _redirect_to_sent(inquiry.reference)


@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    try:
        reference = signing.loads(request.GET.get("r", ""), salt=SENT_SALT, max_age=SENT_PAGE_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    return render(request, "contact/sent.html", {"reference": reference})


def _redirect_to_sent(reference: str) -> HttpResponse:
    # The reference travels signed in the address, not in a cookie or the session.
    signed = signing.dumps(reference, salt=SENT_SALT)
    return redirect(f"{reverse('contact:sent')}?r={signed}")


def _render_form(request: HttpRequest, form: ContactForm, *, retry: bool = False) -> HttpResponse:
    if retry:
        # A fresh token with a short wait: a person who presses "Send" again gets through.
        form.data = cast(QueryDict, form.data).copy()  # the form is bound to request.POST
        form.data["form_token"] = spam.issue_token(min_seconds=spam.RETRY_MIN_SECONDS)
    form.offer_licenses(license_references(request.user))
    return render(
        request,
        "contact/form.html",
        {
            "form": form,
            "retention_months": settings.CONTACT_RETENTION_CLOSED_DAYS * 12 // 365,
        },
    )


def _rate_limited(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    logger.info("Contact form: submission refused by the rate limit")
    minutes = max(1, math.ceil(retry_after / 60))
    response = _refused(
        request,
        status=429,
        title="Please wait before sending another message",
        reason=(
            "We have received several messages from your network in a short time. "
            f"You can send this one again in about {minutes} minute{'s' if minutes != 1 else ''}."
        ),
    )
    response["Retry-After"] = str(retry_after)
    return response


def _refused(request: HttpRequest, *, status: int, title: str, reason: str) -> HttpResponse:
    return render(
        request,
        "contact/refused.html",
        {"title": title, "reason": reason, "contact_email": settings.CONTACT_EMAIL},
        status=status,
    )


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
