"""Community pages: reading is open to everyone (and sets no cookie); writing is under /community/write/.

Every address under ``/community/write/`` passes the Terms gate of the legal app
(``LEGAL_ACCEPTANCE_REQUIRED_PREFIXES``); the services check the same rules again.
"""

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from community import notices, rules, services
from community.badges import badges_for
from community.forms import DisplayNameForm, EditForm, ReplyForm, ReportForm, SearchForm, TopicForm
from community.models import Category, Follow, Post, Profile, Topic, Vote
from community.search import Filters, search
from community.services import CommunityError
from contact import spam
from kalytera import ratelimit
from kalytera.client_address import rate_limit_key
from legal.markdown import render_markdown

TOPICS_PER_PAGE = 30
_AGAIN = "Please check your text and send it again."
TOKEN_MESSAGES = {
    spam.TokenProblem.TOO_FAST: f"That was quicker than we expect from a person. {_AGAIN}",
    spam.TokenProblem.EXPIRED: f"This form was open for a long time. {_AGAIN}",
    spam.TokenProblem.INVALID: f"We could not check this form. {_AGAIN}",
}


# --- Reading --------------------------------------------------------------------------------------------


def _topics():
    return Topic.objects.filter(is_listed=True).select_related(
        "category", "release__product", "author__community_profile"
    )


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    categories = Category.objects.annotate(
        topic_count=Count("topics", filter=Q(topics__is_listed=True))
    ).order_by("position", "name")  # Meta.ordering does not apply to GROUP BY queries
    recent = _with_badges(list(_topics().order_by("-last_activity_at")[:10]))
    return render(request, "community/index.html", {"categories": categories, "topics": recent})


def _with_badges(topics: list[Topic]) -> list[Topic]:
    badges = badges_for(topic.author_id for topic in topics)
    for topic in topics:
        topic.author_badges = badges.get(topic.author_id or 0, [])  # type: ignore[attr-defined]
    return topics


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    section = get_object_or_404(Category, slug=slug)
    topics = _topics().filter(category=section).order_by("-is_pinned", "-last_activity_at", "-pk")
    page = Paginator(topics, TOPICS_PER_PAGE).get_page(request.GET.get("page"))
    following = (
        request.user.is_authenticated and Follow.objects.filter(user=request.user, category=section).exists()
    )
    return render(
        request,
        "community/category.html",
        {
            "category": section,
            "page": page,
            "topics": _with_badges(list(page.object_list)),
            "following": following,
        },
    )


@require_GET
def topic(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    thread = get_object_or_404(
        Topic.objects.select_related("category", "release__product", "author__community_profile"), pk=pk
    )
    if thread.merged_into_id:
        return redirect(thread.merged_into, permanent=True)  # type: ignore[arg-type]
    user = request.user
    moderator = rules.is_moderator(user)
    if not thread.is_listed and not (moderator or (user.is_authenticated and thread.author_id == user.pk)):
        raise Http404
    if slug != thread.slug:
        return redirect(thread, permanent=True)
    posts = list(thread.posts.select_related("author__community_profile").order_by("created_at", "pk"))
    badges = badges_for(post.author_id for post in posts)
    voted = (
        set(Vote.objects.filter(user=user, post__topic=thread).values_list("post_id", flat=True))
        if user.is_authenticated
        else set()
    )
    for post in posts:
        post.shown = rules.may_see(user, post)  # type: ignore[attr-defined]
        post.html = render_markdown(post.body) if post.shown else ""  # type: ignore[attr-defined]
        post.badges = badges.get(post.author_id or 0, [])  # type: ignore[attr-defined]
        post.voted = post.pk in voted  # type: ignore[attr-defined]
        post.editable = rules.may_edit(user, post)  # type: ignore[attr-defined]
        post.own = user.is_authenticated and post.author_id == user.pk  # type: ignore[attr-defined]
    # A post waiting for review is not there yet for others: no empty place, no name.
    posts = [post for post in posts if post.shown or post.status != Post.Status.HELD]  # type: ignore[attr-defined]
    opening = next((post for post in posts if post.is_opening), None)
    replies = [post for post in posts if not post.is_opening]
    context: dict[str, object] = {
        "topic": thread,
        "opening": opening,
        "replies": replies,
        "moderator": moderator,
        "may_mark_answer": rules.may_mark_answer(user, thread),
        "refusal": rules.posting_refusal(user, next_path=request.path),
        "following": user.is_authenticated and Follow.objects.filter(user=user, topic=thread).exists(),
    }
    if (
        user.is_authenticated
        and context["refusal"] is None
        and not Profile.objects.filter(user=user).exists()
    ):
        context["refusal"] = rules.Refusal(
            "community.no_name",
            "Choose the display name shown with your posts, then write your reply.",
            f"{reverse('community:name')}?next={thread.get_absolute_url()}",
            "Choose a display name",
        )
    if user.is_authenticated and context["refusal"] is None and not thread.is_locked:
        context["form"] = ReplyForm(initial={"form_token": spam.issue_token()})
    return render(request, "community/topic.html", context)


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results: list[Post] = []
    if form.is_valid():
        data = form.cleaned_data
        answered = {"yes": True, "no": False}.get(data["answered"])
        filters = Filters(
            category_id=data["category"].pk if data["category"] else None,
            release_id=data["release"].pk if data["release"] else None,
            answered=answered,
        )
        results = search(data["q"], filters)
    return render(
        request,
        "community/search.html",
        {"form": form, "results": results, "searched": bool(form.is_bound and form.data.get("q"))},
    )


# --- Writing --------------------------------------------------------------------------------------------


def _refused(
    request: HttpRequest, refusal: rules.Refusal | CommunityError, *, status: int = 403
) -> HttpResponse:
    if isinstance(refusal, CommunityError):
        message, next_url, next_label = refusal.message, refusal.next_url, "Continue there"
    else:
        message, next_url, next_label = refusal.message, refusal.next_url, refusal.next_label
    return render(
        request,
        "community/refused.html",
        {"message": message, "next_url": next_url, "next_label": next_label},
        status=status,
    )


def _throttled(request: AuthenticatedHttpRequest) -> HttpResponse | None:
    """Posts per account and per client address, counted in the shared cache."""
    checks = [
        ("community-post-account", str(request.user.pk), rate) for rate in settings.COMMUNITY_POST_RATE_LIMITS
    ]
    checks += [
        ("community-post-address", rate_limit_key(request), rate)
        for rate in settings.COMMUNITY_ADDRESS_RATE_LIMITS
    ]
    decision = ratelimit.hit_all(checks)
    if decision.allowed:
        return None
    minutes = max(1, math.ceil(decision.retry_after / 60))
    response = _refused(
        request,
        CommunityError(
            "community.rate_limited",
            f"You have posted a lot in a short time. Please wait about {minutes} minute"
            f"{'s' if minutes != 1 else ''} and send it again; your text is not lost if you go back.",
        ),
        status=429,
    )
    response["Retry-After"] = str(decision.retry_after)
    return response


def _gate(request: AuthenticatedHttpRequest, *, back_to: str = "") -> HttpResponse | None:
    """Refuse people who may not post; send people without a display name to choose one.

    ``back_to`` is the page to return to afterwards (a form's page, never a POST address).
    """
    back_to = back_to or request.get_full_path()
    refusal = rules.posting_refusal(request.user, next_path=back_to)
    if refusal is not None:
        return _refused(request, refusal)
    if not Profile.objects.filter(user=request.user).exists():
        return redirect(f"{reverse('community:name')}?next={back_to}")
    return None


def _token_problem(request: HttpRequest) -> str | None:
    problem = spam.check_token(request.POST.get("form_token", ""))
    return None if problem is None else TOKEN_MESSAGES[problem]


def _retry_token(form) -> None:
    form.data = form.data.copy()
    form.data["form_token"] = spam.issue_token(min_seconds=spam.RETRY_MIN_SECONDS)


@login_required
@require_http_methods(["GET", "POST"])
def new_topic(request: AuthenticatedHttpRequest) -> HttpResponse:
    if (refused := _gate(request)) is not None:
        return refused
    if request.method == "GET":
        initial: dict[str, object] = {"form_token": spam.issue_token()}
        section = Category.objects.filter(slug=request.GET.get("category", "")).first()
        if section is not None:
            initial["category"] = section.pk
        return render(request, "community/new_topic.html", {"form": TopicForm(initial=initial)})
    if (throttled := _throttled(request)) is not None:
        return throttled
    form = TopicForm(request.POST)
    problem = _token_problem(request)
    if form.is_valid() and problem is None:
        data = form.cleaned_data
        try:
            thread = services.start_topic(
                author=request.user,
                category=data["category"],
                title=data["title"],
                body=data["body"],
                release=data["release"],
                trapped=form.is_trapped,
            )
        except CommunityError as error:
            form.add_error(None, error.message)
        else:
            _say_if_held(request, thread.posts.get(is_opening=True))
            return redirect(thread)
    if problem:
        form.add_error(None, problem)
    _retry_token(form)
    return render(request, "community/new_topic.html", {"form": form}, status=400)


def _say_if_held(request: HttpRequest, post: Post) -> None:
    if post.status == Post.Status.HELD:
        messages.info(
            request,
            "Thank you. The first posts of a new member are checked by a moderator before others see them; "
            "this usually takes less than a working day. You can see and edit it meanwhile.",
        )


@login_required
@require_POST
def reply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(Topic, pk=pk)
    if (refused := _gate(request, back_to=thread.get_absolute_url())) is not None:
        return refused
    if (throttled := _throttled(request)) is not None:
        return throttled
    form = ReplyForm(request.POST)
    problem = _token_problem(request)
    if form.is_valid() and problem is None:
        try:
            post = services.reply(
                author=request.user, topic=thread, body=form.cleaned_data["body"], trapped=form.is_trapped
            )
        except CommunityError as error:
            return _refused(request, error, status=400)
        _say_if_held(request, post)
        return redirect(post)
    if problem:
        form.add_error(None, problem)
    _retry_token(form)
    return render(request, "community/reply_again.html", {"form": form, "topic": thread}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("topic"), pk=pk, author=request.user)
    if not rules.may_edit(request.user, post):
        raise Http404
    if (refused := _gate(request)) is not None:
        return refused
    form = EditForm(request.POST or None, initial={"title": post.topic.title, "body": post.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_post(
                user=request.user, post=post, body=form.cleaned_data["body"], title=form.cleaned_data["title"]
            )
        except CommunityError as error:
            form.add_error(None, error.message)
        else:
            return redirect(post)
    if not post.is_opening:
        del form.fields["title"]
    return render(
        request, "community/edit.html", {"form": form, "post": post}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("topic"), pk=pk, author=request.user)
    services.remove_post(user=request.user, post=post)
    messages.success(request, "Your post is removed. The thread around it stays readable.")
    return redirect(post)


@login_required
@require_POST
def vote(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("topic"), pk=pk)
    try:
        if request.POST.get("withdraw"):
            services.withdraw_vote(user=request.user, post=post)
        else:
            services.vote(user=request.user, post=post)
    except CommunityError as error:
        return _refused(request, error)
    return redirect(post)


@login_required
@require_POST
def answer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("topic"), pk=pk)
    try:
        if request.POST.get("unmark"):
            services.unmark_answer(user=request.user, topic=post.topic)
        else:
            services.mark_answer(user=request.user, post=post)
    except CommunityError as error:
        return _refused(request, error)
    return redirect(post)


@login_required
@require_http_methods(["GET", "POST"])
def report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("topic"), pk=pk, topic__is_listed=True)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.report_post(user=request.user, post=post, reason=form.cleaned_data["reason"])
        messages.success(request, "Thank you. A moderator will look at the post.")
        return redirect(post)
    return render(
        request, "community/report.html", {"form": form, "post": post}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def follow_topic(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(Topic, pk=pk)
    if not thread.is_listed and thread.author_id != request.user.pk:  # authors follow their held topic
        raise Http404
    if request.POST.get("stop"):
        services.unfollow(user=request.user, topic=thread)
    else:
        services.follow(user=request.user, topic=thread)
        messages.success(request, "You follow this topic: we email you about new replies.")
    return redirect(thread)


@login_required
@require_POST
def follow_category(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    section = get_object_or_404(Category, slug=slug)
    if request.POST.get("stop"):
        services.unfollow(user=request.user, category=section)
    else:
        services.follow(user=request.user, category=section)
        messages.success(request, f"You follow {section.name}: we email you about new topics and replies.")
    return redirect(section)


@login_required
@require_GET
def follows(request: AuthenticatedHttpRequest) -> HttpResponse:
    mine = (
        Follow.objects.filter(user=request.user).select_related("topic", "category").order_by("-created_at")
    )
    return render(request, "community/follows.html", {"follows": mine})


@login_required
@require_http_methods(["GET", "POST"])
def name(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = Profile.objects.filter(user=request.user).first()
    form = DisplayNameForm(
        request.POST or None, initial={"display_name": profile.display_name if profile else ""}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.choose_display_name(user=request.user, name=form.cleaned_data["display_name"])
        except CommunityError as error:
            form.add_error("display_name", error.message)
        else:
            messages.success(request, "Your display name is saved.")
            target = request.POST.get("next", "")
            return redirect(target if target.startswith("/community/") else "community:index")
    return render(
        request,
        "community/name.html",
        {"form": form, "profile": profile, "next": request.GET.get("next", request.POST.get("next", ""))},
        status=400 if form.errors else 200,
    )


@csrf_exempt  # RFC 8058: mail programs POST here without a page, a session or a token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click, no sign-in: GET asks (link scanners must not unsubscribe), POST does it."""
    if notices.follows_of_token(token) is None:
        raise Http404
    if request.method == "GET":
        return render(request, "community/unsubscribe.html", {"token": token, "done": False})
    notices.unsubscribe(token=token)
    return render(request, "community/unsubscribe.html", {"token": token, "done": True})
