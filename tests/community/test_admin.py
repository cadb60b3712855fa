from django.urls import reverse
from django.utils import timezone

from community import services
from community.models import Profile, Topic
from tests import personas


def _moderator(client):
    moderator = personas.make_staff("mo@kalytera.example", "Community")
    personas.give_totp(moderator)
    client.force_login(moderator)
    return moderator


def _names_inline() -> dict:
    return {f"name_changes-{field}": "0" for field in ("TOTAL_FORMS", "INITIAL_FORMS", "MAX_NUM_FORMS")}


def test_the_community_group_has_only_community_permissions(db):
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Community")
    apps = set(group.permissions.values_list("content_type__app_label", flat=True))
    assert apps == {"community"}
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert "change_post" in codenames and "view_vote" not in codenames and "view_follow" not in codenames


def test_a_suspension_needs_a_reason_and_stops_posting(client, question, helper):
    _moderator(client)
    profile = Profile.objects.get(user=helper)
    change = reverse("admin:community_profile_change", args=[profile.pk])
    until = (timezone.now() + timezone.timedelta(days=7)).strftime("%Y-%m-%d")
    data = {"suspended_until_0": until, "suspended_until_1": "12:00:00", **_names_inline()}
    refused = client.post(change, {**data, "suspension_reason": ""})
    assert refused.status_code == 200 and "Give the reason" in refused.content.decode()
    client.post(change, {**data, "suspension_reason": "Repeated advertising"})
    profile.refresh_from_db()
    assert profile.is_suspended() and profile.suspension_reason == "Repeated advertising"


def test_the_profile_page_shows_earlier_names(client, helper):
    services.choose_display_name(user=helper, name="Helper Renamed")
    _moderator(client)
    profile = Profile.objects.get(user=helper)
    html = client.get(reverse("admin:community_profile_change", args=[profile.pk])).content.decode()
    assert "Earlier display names" in html and ">Helper<" in html


def test_moderators_merge_move_lock_and_pin_in_the_topic_admin(client, question, helper, category):
    duplicate = services.start_topic(author=helper, category=category, title="Streams drop too", body="Same")
    _moderator(client)
    change = reverse("admin:community_topic_change", args=[duplicate.pk])
    data = {"title": duplicate.title, "category": category.pk, "release": "", "is_locked": "on"}
    response = client.post(change, {**data, "is_pinned": "on", "merge_into": question.pk})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == question and duplicate.is_locked and duplicate.is_pinned
    assert client.get(duplicate.get_absolute_url()).status_code == 301


def test_other_staff_cannot_open_the_queue(client, db):
    support = personas.make_staff("sam@kalytera.example", "Support")
    personas.give_totp(support)
    client.force_login(support)
    assert client.get(reverse("admin:community_post_changelist")).status_code == 403
    assert Topic.objects.count() == 0


def test_a_category_cannot_take_an_address_of_the_community_pages(client, db):
    _moderator(client)
    response = client.post(
        reverse("admin:community_category_add"), {"name": "Search", "slug": "search", "position": 0}
    )
    assert response.status_code == 200 and "taken by the community" in response.content.decode()
