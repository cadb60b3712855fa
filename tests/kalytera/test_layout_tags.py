"""The layout's fixed links: the same answers as ``{% url %}``, and only for constant arguments."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.urls import reverse, set_script_prefix


def render(text: str) -> str:
    return Template("{% load layout %}" + text).render(Context({"slug": "terms"}))


def test_a_fixed_link_is_the_reversed_url():
    assert render("{% fixed_url 'home' %}") == reverse("home")
    assert render('{% fixed_url "legal:policy" "privacy" %}') == reverse("legal:policy", args=["privacy"])


def test_a_fixed_link_follows_the_script_prefix():
    try:
        set_script_prefix("/portal/")
        assert render("{% fixed_url 'licensing:list' %}") == "/portal/licenses/"
    finally:
        set_script_prefix("/")
    assert render("{% fixed_url 'licensing:list' %}") == "/licenses/"


def test_arguments_must_be_constants():
    with pytest.raises(TemplateSyntaxError, match="quoted"):
        render("{% fixed_url 'legal:policy' slug %}")
    with pytest.raises(TemplateSyntaxError, match="quoted"):
        render("{% fixed_url %}")
