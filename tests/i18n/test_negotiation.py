"""Which locale a request asks for: ``Accept-Language`` parsing and matching."""

from __future__ import annotations

import pytest

from mvcpy.i18n.negotiation import LocaleChooser, parse_accept_language


def test_accept_language_is_read_by_weight_then_order() -> None:
    header = "de;q=0.5, fr-CH, fr;q=0.9, en;q=0.8, *;q=0.1"
    assert parse_accept_language(header) == ["fr-CH", "fr", "en", "de", "*"]


@pytest.mark.parametrize(
    "header",
    ["fr;q=0", "fr;q=abc", "fr;q=2", "fr;level=1", ";q=0.5", ",,,", ""],
)
def test_refused_and_malformed_tags_are_left_out(header: str) -> None:
    assert parse_accept_language(header) == []


def test_a_hostile_header_is_read_only_so_far() -> None:
    header = ", ".join(f"x{i};q=0.{i % 9 + 1}" for i in range(10_000))
    assert len(parse_accept_language(header)) <= 32


def test_the_chooser_matches_exact_tags_then_languages() -> None:
    chooser = LocaleChooser(["en", "fr", "pt_BR"], "en")
    assert chooser.from_header("fr-CA, en;q=0.5") == "fr"  # the language of fr-CA
    assert chooser.from_header("pt-br") == "pt_BR"  # any case, - or _
    assert chooser.from_header("pt-PT") == "pt_BR"  # the app's only Portuguese
    assert chooser.from_header("de, *;q=0.1") == "en"  # * accepts the default
    assert chooser.from_header("de, ja") is None
    assert chooser.known("PT-br") == "pt_BR" and chooser.known("es") is None


def test_url_prefixes_are_lower_case_with_hyphens() -> None:
    chooser = LocaleChooser(["en", "pt_BR"], "en")
    assert chooser.prefix("pt_BR") == "pt-br"
    assert chooser.from_prefix("pt-br") == "pt_BR"
    assert chooser.from_prefix("pt_BR") is None and chooser.from_prefix("static") is None
