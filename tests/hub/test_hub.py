"""The hub over both brokers: two hubs on one Redis behave as two workers would."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from mvcpy import App, ConfigurationError
from mvcpy.hub import Hub, Subscriber, SubscriberClosed, encode_message
from mvcpy.hub.memory import MemoryBroker
from mvcpy.hub.redis import RedisBroker, pack, unpack
from mvcpy.views.errors import TemplateRenderError

TIMEOUT = 5.0

HubFactory = Callable[[], Awaitable[Hub]]


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(test: Callable[[HubFactory], Awaitable[None]], backend: str, redis_url: str) -> None:
    """Run ``test`` with a factory of started hubs on one broker, closed afterwards."""
    prefix = f"test:hub:{uuid.uuid4().hex}:"

    async def main() -> None:
        hubs: list[Hub] = []

        async def make() -> Hub:
            broker = MemoryBroker() if backend == "memory" else RedisBroker(redis_url, prefix)
            hub = Hub(broker, queue_size=8)
            await hub.start()
            hubs.append(hub)
            return hub

        try:
            await asyncio.wait_for(test(make), 20)
        finally:
            for hub in hubs:
                await hub.close()

    asyncio.run(main())


@pytest.fixture
def hub_url(backend: str, request: pytest.FixtureRequest) -> str:
    """The Redis URL when the backend is redis (skipped/failed by the fixture when down)."""
    return str(request.getfixturevalue("redis_url")) if backend == "redis" else ""


async def next_message(subscriber: Subscriber) -> Any:
    return await asyncio.wait_for(subscriber.get(), TIMEOUT)


async def nothing_queued(subscriber: Subscriber) -> bool:
    await asyncio.sleep(0.2)  # long enough for a message through Redis to arrive
    return subscriber.pending == 0


def test_broadcast_reaches_the_room_only_and_skips_the_excluded(backend: str, hub_url: str) -> None:
    async def test(make: HubFactory) -> None:
        hub = await make()
        ann, bob, cy = hub.subscriber(), hub.subscriber(), hub.subscriber()
        await hub.join(ann, "lobby")
        await hub.join(bob, "lobby")
        await hub.join(cy, "kitchen")
        await hub.broadcast("lobby", "hello", exclude=ann.id)
        assert await next_message(bob) == "hello"
        assert await nothing_queued(ann) and await nothing_queued(cy)
        await hub.broadcast("lobby", {"n": 1, "who": "é"})
        await hub.broadcast("lobby", b"\x00\xff")
        assert [await next_message(ann), await next_message(ann)] == [
            '{"n":1,"who":"é"}',
            b"\x00\xff",
        ]
        assert hub.local_presence("lobby") == 2 and await hub.presence("lobby") == 2

    run(test, backend, hub_url)


def test_a_second_worker_gets_the_broadcast_and_direct_messages(redis_url: str) -> None:
    async def test(make: HubFactory) -> None:
        one, two = await make(), await make()
        here, there = one.subscriber(), two.subscriber()
        await one.join(here, "room")
        await two.join(there, "room")
        await one.broadcast("room", "from one", exclude=here.id)
        assert await next_message(there) == "from one"
        assert await nothing_queued(here)
        assert await one.presence("room") == 2 and await two.presence("room") == 2
        assert await one.send_to(there.id, {"direct": True})
        assert await next_message(there) == '{"direct":true}'
        await two.leave(there, "room")
        assert await one.presence("room") == 1
        assert not await one.send_to(f"{uuid.uuid4().hex[:12]}.1", "nobody listens there")

    run(test, "redis", redis_url)


def test_send_to_and_cleanup_on_unregister(backend: str, hub_url: str) -> None:
    async def test(make: HubFactory) -> None:
        hub = await make()
        alone = hub.subscriber()
        assert await hub.send_to(alone.id, "just you")
        assert await next_message(alone) == "just you"
        await hub.join(alone, "a")
        await hub.join(alone, "b")
        await hub.unregister(alone)
        assert hub.rooms() == [] and alone.rooms == set()
        assert await hub.presence("a") == 0
        assert not await hub.send_to(alone.id, "gone")
        with pytest.raises(SubscriberClosed):
            await alone.get()

    run(test, backend, hub_url)


def test_a_dead_worker_is_left_out_of_presence(redis_url: str) -> None:
    async def test(make: HubFactory) -> None:
        one, two = await make(), await make()
        await one.join(one.subscriber(), "room")
        await two.join(two.subscriber(), "room")
        assert await one.presence("room") == 2
        broker = two.broker
        assert isinstance(broker, RedisBroker)
        # A killed worker stops renewing its heartbeat key; here it expires at once.
        await broker._client.delete(broker._alive_key(two.worker_id))
        assert await one.presence("room") == 1

    run(test, "redis", redis_url)


def test_slow_consumer_policies() -> None:
    async def main() -> None:
        lossy = Subscriber("a", queue_size=3, policy="drop_oldest")
        for n in range(5):
            assert lossy.offer(str(n))
        assert lossy.dropped == 2
        assert [await lossy.get() for _ in range(3)] == ["2", "3", "4"]
        overflowed: list[str] = []
        strict = Subscriber(
            "b", queue_size=2, policy="disconnect", on_overflow=lambda: overflowed.append("b")
        )
        assert strict.offer("1") and strict.offer("2")
        assert not strict.offer("3")
        assert overflowed == ["b"] and strict.closed and not strict.offer("4")
        with pytest.raises(SubscriberClosed):
            await strict.get()  # what was queued is dropped: it will never be sent
        with pytest.raises(SubscriberClosed):
            await strict.get()

    asyncio.run(main())


def test_a_full_subscriber_never_blocks_the_broadcast(backend: str, hub_url: str) -> None:
    async def test(make: HubFactory) -> None:
        hub = await make()  # queue_size=8
        stuck, reader = hub.subscriber(), hub.subscriber(slow_consumer="disconnect")
        await hub.join(stuck, "r")
        await hub.join(reader, "r")
        for n in range(50):
            await hub.broadcast("r", str(n))
            assert await next_message(reader) == str(n)
        assert stuck.pending == 8 and stuck.dropped == 42

    run(test, backend, hub_url)


def test_stream_yields_text_and_leaves_the_room_when_closed(backend: str, hub_url: str) -> None:
    async def test(make: HubFactory) -> None:
        hub = await make()
        stream: AsyncIterator[str] = hub.stream("news")
        first = asyncio.ensure_future(stream.__anext__())
        for _ in range(100):  # the stream joins the room on its first step
            if hub.local_presence("news"):
                break
            await asyncio.sleep(0.01)
        await hub.broadcast("news", b"binary is for WebSockets")
        await hub.broadcast("news", "headline")
        assert await asyncio.wait_for(first, TIMEOUT) == "headline"
        await stream.aclose()  # type: ignore[attr-defined]
        assert hub.local_presence("news") == 0 and await hub.presence("news") == 0

    run(test, backend, hub_url)


def test_push_fragment_renders_a_block_and_finds_its_target(
    make_app: Callable[..., App], views: Callable[[str, str], Any]
) -> None:
    views(
        "chat/message.html",
        '{% block item %}<li id="m-{{ n }}" class="m">{{ text }}</li>{% endblock %}'
        "{% block other %}<p>no id</p>{% endblock %}",
    )
    app = make_app()

    async def main() -> None:
        hub = app.hub
        listener = hub.subscriber()
        await hub.join(listener, "chat")
        html = await hub.push_fragment("chat", "chat/message.html", "item", n=3, text="<b>hi</b>")
        assert html == '<li id="m-3" class="m">&lt;b&gt;hi&lt;/b&gt;</li>'
        assert encode_message(
            {"mvcpy": "fragment", "action": "replace", "target": "m-3", "html": html}
        ) == await next_message(listener)
        await hub.push_fragment("chat", "chat/message.html", "other", target="log", action="append")
        assert '"target":"log","html":"<p>no id</p>"' in str(await next_message(listener))
        with pytest.raises(ValueError, match="target="):
            await hub.push_fragment("chat", "chat/message.html", "other")
        with pytest.raises(ValueError, match="action 'explode'"):
            await hub.push_fragment(
                "chat", "chat/message.html", "item", action="explode", n=1, text="x"
            )
        with pytest.raises(
            TemplateRenderError, match=r"no block 'nope' \(its blocks: item, other\)"
        ):
            await hub.push_fragment("chat", "chat/message.html", "nope")
        await hub.close()

    asyncio.run(main())


def test_configuration_errors(make_app: Callable[..., App]) -> None:
    with pytest.raises(ConfigurationError, match=r"hub\.backend = 'kafka' is not valid"):
        make_app(hub={"backend": "kafka"})
    with pytest.raises(ConfigurationError, match="needs redis_url"):
        make_app(hub={"backend": "redis"}).hub  # noqa: B018
    with pytest.raises(ConfigurationError, match="slow_consumer = 'ignore' is not valid"):
        make_app(hub={"slow_consumer": "ignore"})
    with pytest.raises(ValueError, match="non-empty string"):
        asyncio.run(make_app().hub.broadcast("", "x"))


def test_an_unreachable_redis_stops_the_startup(make_app: Callable[..., App]) -> None:
    from mvcpy.testing import TestClient

    app = make_app(hub={"backend": "redis", "redis_url": "redis://127.0.0.1:1/0"})
    failed = pytest.raises(RuntimeError, match=r"startup failed: \[hub\] cannot reach Redis")
    with failed, TestClient(app):
        pass  # pragma: no cover - the startup fails


def test_frames_keep_text_and_bytes_apart() -> None:
    assert unpack(pack("é\nx", x=["a.1"])) == ({"x": ["a.1"], "k": "t"}, "é\nx")
    assert unpack(pack(b"\n\x00", to="b.2")) == ({"to": "b.2", "k": "b"}, b"\n\x00")


def test_the_redis_broker_resubscribes_after_losing_its_connection(redis_url: str) -> None:
    import redis.asyncio as aioredis

    async def test(make: HubFactory) -> None:
        hub = await make()
        listener = hub.subscriber()
        await hub.join(listener, "room")
        broker = hub.broker
        assert isinstance(broker, RedisBroker)
        admin = aioredis.Redis.from_url(redis_url)
        try:
            clients = await admin.client_list()
            ours = [c["id"] for c in clients if c.get("name") == broker.client_name(hub)]
            assert ours  # the pub/sub connection among them
            for client_id in ours:
                await admin.client_kill_filter(_id=client_id)
        finally:
            await admin.aclose()
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while True:  # broadcasts resume once the listener has reconnected and resubscribed
            await hub.broadcast("room", "after the cut")
            try:
                assert await asyncio.wait_for(listener.get(), 0.5) == "after the cut"
                break
            except TimeoutError:
                assert asyncio.get_running_loop().time() < deadline, "never resubscribed"

    run(test, "redis", redis_url)


def test_a_tight_loop_of_broadcasts_loses_nothing_for_a_client_that_keeps_up(
    backend: str, hub_url: str
) -> None:
    async def test(make: HubFactory) -> None:
        hub = await make()  # queue_size=8: far fewer than the burst
        reader = hub.subscriber()
        await hub.join(reader, "burst")
        received: list[str] = []

        async def consume() -> None:
            while len(received) < 200:
                received.append(str(await reader.get()))

        consumer = asyncio.ensure_future(consume())
        for n in range(200):  # no await but the broadcast itself
            await hub.broadcast("burst", str(n))
        await asyncio.wait_for(consumer, TIMEOUT)
        assert received == [str(n) for n in range(200)] and reader.dropped == 0

    run(test, backend, hub_url)


def test_offer_says_when_the_outbox_is_half_full() -> None:
    from mvcpy.hub.subscriber import BACKLOGGED, QUEUED, REFUSED

    outbox = Subscriber("a", queue_size=4)
    assert [outbox.offer(str(n)) for n in range(6)] == [QUEUED, BACKLOGGED] + [QUEUED] * 4
    assert outbox.pending == 4 and outbox.dropped == 2
    outbox.close()
    assert outbox.offer("late") == REFUSED and outbox.pending == 0


def test_presence_survives_a_leave_racing_the_next_join(redis_url: str) -> None:
    """A connection leaves while the next one joins, on one worker. When the leave's HDEL
    reached Redis after the join's HSET (two pooled connections, no order between them),
    the room read empty until its next change; a slow HDEL makes that happen every time."""

    async def test(make: HubFactory) -> None:
        hub = await make()
        broker = hub.broker
        assert isinstance(broker, RedisBroker)
        hdel = broker._client.hdel

        async def slow_hdel(*args: Any) -> Any:
            await asyncio.sleep(0.05)
            return await hdel(*args)

        broker._client.hdel = slow_hdel
        leaving, joining = hub.subscriber(), hub.subscriber()
        await hub.join(leaving, "churn")
        await asyncio.gather(hub.leave(leaving, "churn"), hub.join(joining, "churn"))
        assert await hub.presence("churn") == 1

    run(test, "redis", redis_url)
