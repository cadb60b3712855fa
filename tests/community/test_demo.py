from io import StringIO

import pytest
from django.core.management import call_command

from community.models import Category, Follow, Post, Profile, Report, Topic

pytestmark = pytest.mark.django_db


def test_the_demo_has_categories_threads_and_queue_work_and_seeding_twice_adds_nothing():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    assert Category.objects.count() == 4
    assert Topic.objects.count() == 3 and Topic.objects.filter(answer__isnull=False).count() == 1
    assert Post.objects.filter(status=Post.Status.HELD).count() == 1 and Report.objects.count() == 1
    assert Follow.objects.count() == 2
    assert Profile.objects.filter(display_name="Kalytera Team", user__is_staff=True).exists()
