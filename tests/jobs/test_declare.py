"""Declaring jobs: arguments checked when sent, schedules checked when declared."""

from __future__ import annotations

import datetime as dt

import pytest

from mvcpy.jobs import JobArgumentError, JobContext, cron, every, job
from tests.jobs import jobs_app


def test_arguments_are_checked_and_made_json_when_sent() -> None:
    assert jobs_app.record.arguments(("a",), {"value": "7"}) == {"key": "a", "value": 7}
    with pytest.raises(JobArgumentError, match=r"argument value='many'"):
        jobs_app.record.arguments(("a", "many"), {})
    with pytest.raises(JobArgumentError, match="missing a required argument: 'key'"):
        jobs_app.record.arguments((), {})
    with pytest.raises(JobArgumentError, match="unexpected keyword argument 'colour'"):
        jobs_app.record.arguments(("a",), {"colour": "red"})


def test_models_and_datetimes_travel_as_json_and_come_back_typed() -> None:
    when = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)
    stored = jobs_app.with_model.arguments((jobs_app.Point(x=1, y=2), when), {})
    assert stored == {"point": {"x": 1, "y": 2}, "when": "2026-12-05T09:30:00Z"}
    loaded = jobs_app.with_model.load(stored)
    assert loaded == {"point": jobs_app.Point(x=1, y=2), "when": when}


def test_an_unannotated_argument_must_still_be_json() -> None:
    @job
    def loose(thing):  # type: ignore[no-untyped-def]
        return thing

    assert loose.arguments(([1, "two"],), {}) == {"thing": [1, "two"]}
    with pytest.raises(JobArgumentError, match="loose"):
        loose.arguments((object(),), {})


def test_the_context_parameter_is_found_by_its_annotation() -> None:
    assert jobs_app.record.takes_context
    assert not jobs_app.doomed.takes_context

    @job
    def counts(ctx: JobContext, n: int) -> int:
        return n

    assert counts.takes_context
    assert counts.arguments((3,), {}) == {"n": 3}
    assert (
        counts.name
        == f"{__name__}.test_the_context_parameter_is_found_by_its_annotation.<locals>.counts"
    )


def test_jobs_take_no_star_arguments() -> None:
    with pytest.raises(TypeError, match=r"\*args and \*\*kwargs"):

        @job
        def spread(*names: str) -> None:
            pass


def test_every_is_a_clock_aligned_cron() -> None:
    assert every(minutes=5)(lambda: None).schedule.expression == "*/5 * * * *"  # type: ignore[union-attr]
    assert every(seconds=1)(lambda: None).schedule.expression == "* * * * * *"  # type: ignore[union-attr]
    assert every(hours=6)(lambda: None).schedule.expression == "0 */6 * * *"  # type: ignore[union-attr]
    assert every(days=1)(lambda: None).schedule.expression == "0 0 * * *"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="must divide 60"):
        every(minutes=7)
    with pytest.raises(ValueError, match="exactly one"):
        every(minutes=5, hours=1)
    with pytest.raises(ValueError, match="exactly one"):
        every()


def test_cron_expressions_and_zones_are_checked_when_declared() -> None:
    with pytest.raises(ValueError, match="not a cron expression"):
        cron("every five minutes")
    with pytest.raises(ValueError, match="unknown time zone"):
        cron("0 3 * * *", timezone="Mars/Olympus")
    with pytest.raises(TypeError, match="receives no arguments"):

        @cron("0 3 * * *")
        def nightly(day: str) -> None:
            pass

    @cron("0 3 * * *", timezone="Europe/Paris")
    def at_three(ctx: JobContext) -> None:
        pass

    assert at_three.schedule is not None
    assert at_three.schedule.timezone == "Europe/Paris"


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="retries"):
        job(retries=-1)(lambda: None)
    with pytest.raises(ValueError, match="timeout"):
        job(timeout=0)(lambda: None)
    with pytest.raises(ValueError, match="32 bits"):
        jobs_app.record.using(priority=2**40)
    with pytest.raises(ValueError, match="negative"):
        jobs_app.record.send_in(-1, "a")
    with pytest.raises(ValueError, match="time-zone-aware"):
        jobs_app.record.send_at(dt.datetime(2030, 1, 1), "a")


def test_the_unique_key_depends_on_the_arguments() -> None:
    one = jobs_app.refresh.unique_key({"key": "a"})
    assert one == jobs_app.refresh.unique_key({"key": "a"})
    assert one != jobs_app.refresh.unique_key({"key": "b"})
    assert one.startswith("tests.jobs.jobs_app.refresh:")
