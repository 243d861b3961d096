"""Tests for mvcpy.routing.converters: every converter both ways, specs and samples."""

from __future__ import annotations

import re
import uuid

import pytest

from mvcpy.errors import ConfigurationError
from mvcpy.routing.converters import (
    Converter,
    FloatConverter,
    IntConverter,
    PathConverter,
    RegexConverter,
    SlugConverter,
    StringConverter,
    UUIDConverter,
    make_converter,
)

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
UID = uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")


# --- int -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("-0", 0),
        ("007", 7),
        (str(INT64_MAX), INT64_MAX),
        (str(INT64_MIN), INT64_MIN),
        ("0" * 30 + "1", 1),
    ],
)
def test_int_to_python(raw: str, value: int) -> None:
    result = make_converter("int").to_python(raw)
    assert result == value
    assert type(result) is int


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "-",
        "--1",
        "+1",
        " 1",
        "1 ",
        "1_000",
        "1.5",
        "1e3",
        "abc",
        "0x10",
        "١٢",  # Arabic-Indic digits: int() would take them
        "\uff11\uff12",  # fullwidth digits
        "²",
        str(INT64_MAX + 1),
        str(INT64_MIN - 1),
        "9" * 40,
        "1" * 5000,
    ],
)
def test_int_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        make_converter("int").to_python(raw)


def test_int_to_url() -> None:
    conv = make_converter("int")
    assert conv.to_url(42) == "42"
    assert conv.to_url(-3) == "-3"
    assert conv.to_url(INT64_MAX) == str(INT64_MAX)


@pytest.mark.parametrize("value", [True, False, "5", 5.0, None, UID])
def test_int_to_url_rejects_wrong_type(value: object) -> None:
    with pytest.raises(TypeError):
        make_converter("int").to_url(value)


@pytest.mark.parametrize("value", [INT64_MAX + 1, INT64_MIN - 1])
def test_int_to_url_rejects_overflow(value: int) -> None:
    with pytest.raises(ValueError):
        make_converter("int").to_url(value)


# --- float -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"), [("1.5", 1.5), ("-2", -2.0), ("0", 0.0), ("-0.25", -0.25), ("10.0", 10.0)]
)
def test_float_to_python(raw: str, value: float) -> None:
    result = make_converter("float").to_python(raw)
    assert result == value
    assert type(result) is float


@pytest.mark.parametrize(
    "raw",
    [
        *("", "nan", "NaN", "inf", "-inf", "Infinity", "1e5", ".5", "1.", "1,5", "+1", " 1"),
        *("1_0", "٣"),
        "1" * 400,  # overflows to inf
    ],
)
def test_float_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        make_converter("float").to_python(raw)


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.5, "1.5"), (2, "2"), (-2.0, "-2.0"), (1e20, "100000000000000000000"), (1e-7, "0.0000001")],
)
def test_float_to_url(value: float, text: str) -> None:
    assert make_converter("float").to_url(value) == text


@pytest.mark.parametrize("value", [0.1, 1 / 3, 1e300, -5e-324, 123456789.125, 2.0**60])
def test_float_round_trips(value: float) -> None:
    conv = make_converter("float")
    assert conv.to_python(conv.to_url(value)) == value


@pytest.mark.parametrize("value", [True, "1.5", None])
def test_float_to_url_rejects_wrong_type(value: object) -> None:
    with pytest.raises(TypeError):
        make_converter("float").to_url(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_float_to_url_rejects_non_finite(value: float) -> None:
    with pytest.raises(ValueError):
        make_converter("float").to_url(value)


# --- uuid ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [str(UID), str(UID).upper()])
def test_uuid_to_python(raw: str) -> None:
    assert make_converter("uuid").to_python(raw) == UID


@pytest.mark.parametrize(
    "raw",
    [
        "",
        UID.hex,
        "{" + str(UID) + "}",
        "urn:uuid:" + str(UID),
        str(UID)[:-1],
        str(UID) + "0",
        str(UID).replace("a", "g"),
        "12345678-9abc-def0-1234_56789abcdef0",
    ],
)
def test_uuid_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        make_converter("uuid").to_python(raw)


def test_uuid_to_url() -> None:
    conv = make_converter("uuid")
    assert conv.to_url(UID) == str(UID)
    assert conv.to_url(str(UID).upper()) == str(UID)
    with pytest.raises(ValueError):
        conv.to_url("not-a-uuid")
    with pytest.raises(TypeError):
        conv.to_url(UID.int)


# --- slug ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["a", "hello-world", "A_1-b", "123"])
def test_slug_accepts(raw: str) -> None:
    assert make_converter("slug").to_python(raw) == raw


@pytest.mark.parametrize("raw", ["", "a b", "a.b", "é", "a/b", "a~b"])
def test_slug_rejects(raw: str) -> None:
    conv = make_converter("slug")
    with pytest.raises(ValueError):
        conv.to_python(raw)
    with pytest.raises(ValueError):
        conv.to_url(raw)


def test_slug_to_url() -> None:
    conv = make_converter("slug")
    assert conv.to_url("hello-world") == "hello-world"
    with pytest.raises(TypeError):
        conv.to_url(5)


# --- str -------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["a", "a b", "a/b", "é", "%2F", ".."])
def test_str_accepts_any_non_empty_segment(raw: str) -> None:
    assert make_converter(None).to_python(raw) == raw


def test_str_rejects_empty() -> None:
    with pytest.raises(ValueError):
        make_converter(None).to_python("")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        ("a b/c?d#e%f", "a%20b%2Fc%3Fd%23e%25f"),
        ("@:!$&'()*+,;=", "@:!$&'()*+,;="),
        ("-._~", "-._~"),
        ("é", "%C3%A9"),
        (5, "5"),
        (-5, "-5"),
        (UID, str(UID)),
    ],
)
def test_str_to_url(value: object, text: str) -> None:
    assert make_converter("str").to_url(value) == text


@pytest.mark.parametrize("value", [True, None, 1.5, b"x", ["a"]])
def test_str_to_url_rejects_wrong_type(value: object) -> None:
    with pytest.raises(TypeError):
        make_converter("str").to_url(value)


@pytest.mark.parametrize("value", ["", ".", ".."])
def test_str_to_url_rejects_bad_shape(value: str) -> None:
    with pytest.raises(ValueError):
        make_converter("str").to_url(value)


# --- path ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "a", "a/b/c", "a/"])
def test_path_to_python_is_identity(raw: str) -> None:
    assert make_converter("path").to_python(raw) == raw


@pytest.mark.parametrize(
    ("value", "text"),
    [("", ""), ("a/b c/d", "a/b%20c/d"), ("docs/é?.txt", "docs/%C3%A9%3F.txt"), (7, "7")],
)
def test_path_to_url_keeps_slashes(value: object, text: str) -> None:
    assert make_converter("path").to_url(value) == text


def test_path_to_url_rejects() -> None:
    conv = make_converter("path")
    with pytest.raises(TypeError):
        conv.to_url(b"a/b")
    with pytest.raises(TypeError):
        conv.to_url(True)
    for bad in ("a/../b", "./a", ".."):
        with pytest.raises(ValueError):
            conv.to_url(bad)


# --- regex -----------------------------------------------------------------------------------


def test_regex_fullmatches_one_segment() -> None:
    conv = make_converter("[0-9]{3}")
    assert isinstance(conv, RegexConverter)
    assert conv.to_python("123") == "123"
    for raw in ("12", "1234", "a123", "123\n"):
        with pytest.raises(ValueError):
            conv.to_python(raw)


def test_regex_to_url() -> None:
    conv = make_converter("[0-9]{3}")
    assert conv.to_url(123) == "123"
    assert conv.to_url("007") == "007"
    with pytest.raises(ValueError):
        conv.to_url(12)
    assert make_converter("[a-z ]+").to_url("a b") == "a%20b"


def test_invalid_regex_names_it() -> None:
    with pytest.raises(ConfigurationError, match=re.escape("'[0-9'")):
        make_converter("[0-9")


# --- make_converter, keys, identity ----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "cls", "weight"),
    [
        (None, StringConverter, 1),
        ("", StringConverter, 1),
        ("str", StringConverter, 1),
        ("int", IntConverter, 0),
        ("float", FloatConverter, 0),
        ("uuid", UUIDConverter, 0),
        ("slug", SlugConverter, 0),
        ("path", PathConverter, 2),
        ("[a-z]+", RegexConverter, 0),
    ],
)
def test_make_converter(spec: str | None, cls: type[Converter], weight: int) -> None:
    conv = make_converter(spec)
    assert type(conv) is cls
    assert conv.weight == weight
    assert make_converter(spec) is conv


def test_keys_identify_shared_nodes() -> None:
    assert make_converter("int").key == ("int",)
    assert make_converter(None).key == ("str",)
    assert make_converter("[a-z]+").key == ("regex", "[a-z]+")
    assert make_converter("[a-z]+") == RegexConverter("[a-z]+")
    assert hash(make_converter("[a-z]+")) == hash(RegexConverter("[a-z]+"))
    assert make_converter("[a-z]+") != make_converter("[a-z]*")
    assert make_converter("int") != make_converter("float")


def test_converters_are_immutable() -> None:
    for spec in ("int", "str", "path", "[a-z]+"):
        with pytest.raises(AttributeError):
            make_converter(spec).extra = 1  # type: ignore[attr-defined]


def test_describe() -> None:
    assert make_converter("int").describe("id") == "{id:int}"
    assert make_converter("int").describe() == "{:int}"
    assert make_converter(None).describe("name") == "{name}"
    assert make_converter("path").describe("rest") == "{rest:path}"
    assert make_converter("[0-9]{3}").describe("code") == "{code:[0-9]{3}}"


# --- samples ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["int", "float", "uuid", "slug", "str", "path"])
def test_named_samples_fit(spec: str) -> None:
    conv = make_converter(spec)
    conv.to_python(conv.sample)


def test_str_sample_is_refused_by_typed_converters() -> None:
    sample = make_converter("str").sample
    for spec in ("int", "float", "uuid", "slug"):
        with pytest.raises(ValueError):
            make_converter(spec).to_python(sample)


@pytest.mark.parametrize(
    "regex",
    [
        "[0-9]{3}",
        "[a-z]+-[0-9]{2,4}",
        "(?:foo|bar)baz",
        "[^/]+",
        r"\d+",
        r"\w+\.txt",
        r"v(?P<n>\d)\.(?P=n)",
        "[A-Z]{2}[^a-z0-9]x?",
        "(?i)abc",
        "a*",
        r"(a)?(?(1)b|c)",
        r"[\s\S]",
        r"\W",
    ],
)
def test_regex_sample_fits(regex: str) -> None:
    conv = make_converter(regex)
    assert re.fullmatch(regex, conv.sample) is not None
