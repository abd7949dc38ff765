"""The spool on its own, and the desk choosing between publishing and spooling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from intake.errors import ApiError
from intake.forwarder import SpoolForwarder
from intake.metrics import IntakeMetrics
from intake.spool import Spool, SpoolUnavailable
from intake.submissions import SubmissionDesk, SubmissionRequest
from shared.broker import BrokerUnavailable
from shared.codec import encode
from shared.contracts import ClientMeta, Submission
from shared.forms import ContactFields, FormKind
from shared.prescreen import load_prescreen

CONTACT = {"name": "Ana", "email": "ana@example.org", "message": "Hello"}


def make_spool(
    folder: Path, *, max_bytes: int = 10_000, max_files: int = 100, reserve: float = 0.0
) -> Spool:
    spool = Spool(folder, max_bytes=max_bytes, max_files=max_files, reserve=reserve)
    spool.open()
    return spool


async def test_files_come_out_oldest_first_and_go_only_when_removed(tmp_path: Path) -> None:
    spool = make_spool(tmp_path / "s")
    for index in range(5):
        await spool.put(f"id{index}", f"body{index}".encode())
    assert spool.depth == 5
    seen = []
    while (entry := spool.next_entry()) is not None:
        seen.append(await spool.read(entry))
        assert (tmp_path / "s" / entry.name).exists()
        await spool.remove(entry)
        assert not (tmp_path / "s" / entry.name).exists()
    assert seen == [f"body{index}".encode() for index in range(5)]
    assert (spool.depth, spool.size_bytes) == (0, 0)


async def test_what_mentions_danger_comes_out_first_each_kind_oldest_first(
    tmp_path: Path,
) -> None:
    spool = make_spool(tmp_path)
    # Left by a version that did not mark danger: counted as routine.
    (tmp_path / "00000000000000000001-00000000-old.json").write_bytes(b"x")
    for name, urgent in (("r1", False), ("d1", True), ("r2", False), ("d2", True)):
        await spool.put(name, b"x", urgent=urgent)
    spool.close()
    reopened = make_spool(tmp_path)  # the order survives a restart
    names = []
    while (entry := reopened.next_entry()) is not None:
        names.append(entry.name.split("-", 2)[2].split(".")[0])
        await reopened.remove(entry)
    assert names == ["d1", "d2", "old", "r1", "r2"]


async def test_concurrent_puts_keep_their_order(tmp_path: Path) -> None:
    spool = make_spool(tmp_path)
    await asyncio.gather(*(spool.put(f"id{i:02d}", b"x") for i in range(20)))
    names = []
    while (entry := spool.next_entry()) is not None:
        names.append(entry.name.split("-", 2)[2])
        await spool.remove(entry)
    assert names == [f"id{i:02d}.json" for i in range(20)]


async def test_limits_on_files_and_bytes(tmp_path: Path) -> None:
    by_files = make_spool(tmp_path / "a", max_files=2)
    await by_files.put("1", b"x")
    await by_files.put("2", b"x")
    with pytest.raises(SpoolUnavailable, match="full"):
        await by_files.put("3", b"x")
    by_bytes = make_spool(tmp_path / "b", max_bytes=10)
    await by_bytes.put("1", b"x" * 10)
    with pytest.raises(SpoolUnavailable, match="full"):
        await by_bytes.put("2", b"x")


async def test_the_last_share_of_the_spool_is_kept_for_posts_that_mention_danger(
    tmp_path: Path,
) -> None:
    """A flood during a broker outage fills the spool for routine posts only."""
    by_files = make_spool(tmp_path / "a", max_files=10, reserve=0.2)
    for index in range(8):
        await by_files.put(f"routine{index}", b"x")
    with pytest.raises(SpoolUnavailable, match="full"):
        await by_files.put("routine8", b"x")
    await by_files.put("danger0", b"x", urgent=True)
    await by_files.put("danger1", b"x", urgent=True)
    with pytest.raises(SpoolUnavailable, match="full"):
        await by_files.put("danger2", b"x", urgent=True)
    by_bytes = make_spool(tmp_path / "b", max_bytes=100, reserve=0.2)
    await by_bytes.put("routine", b"x" * 80)
    with pytest.raises(SpoolUnavailable, match="full"):
        await by_bytes.put("routine2", b"x")
    await by_bytes.put("danger", b"x" * 20, urgent=True)


async def test_reopening_finds_the_files_and_drops_half_written_ones(tmp_path: Path) -> None:
    first = make_spool(tmp_path)
    await first.put("a", b"one")
    await first.put("b", b"two")
    first.close()
    (tmp_path / "99-crash.tmp").write_bytes(b"half")
    second = make_spool(tmp_path)
    assert (second.depth, second.size_bytes) == (2, 6)
    entry = second.next_entry()
    assert entry is not None and await second.read(entry) == b"one"
    assert not (tmp_path / "99-crash.tmp").exists()


def test_a_second_instance_cannot_open_a_locked_folder(tmp_path: Path) -> None:
    make_spool(tmp_path)
    with pytest.raises(OSError):
        Spool(tmp_path, max_bytes=10, max_files=10).open()


async def test_put_reports_an_unwritable_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    spool = Spool(tmp_path / "file" / "spool", max_bytes=10, max_files=10)
    with pytest.raises(SpoolUnavailable, match="unwritable"):
        await spool.put("a", b"x")


class RecordingBroker:
    """Connected, and confirms every publish at once."""

    ready = True

    def __init__(self) -> None:
        self.published: list[tuple[str, str]] = []  # (routing key, message id)

    async def publish(self, _: str, routing_key: str, body: bytes, **kwargs: Any) -> None:
        self.published.append((routing_key, kwargs["message_id"]))


class FlakyBroker:
    """Looks connected, but no publish is ever confirmed (a timeout, say)."""

    ready = True

    def __init__(self) -> None:
        self.attempts = 0

    async def publish(self, *args: Any, **kwargs: Any) -> None:
        self.attempts += 1
        raise BrokerUnavailable("publish not confirmed: TimeoutError")


def request() -> SubmissionRequest:
    return SubmissionRequest(
        submission_id=uuid4(), form=FormKind.CONTACT, fields=dict(CONTACT), client=ClientMeta()
    )


def desk_for(
    broker: object, spool: Spool | None = None, on_spooled: Callable[[], None] = lambda: None
) -> SubmissionDesk:
    return SubmissionDesk(
        broker,  # type: ignore[arg-type]
        IntakeMetrics(),
        load_prescreen(),
        honeypot_field="website",
        retry_after=5,
        spool=spool,
        on_spooled=on_spooled,
    )


async def test_an_unconfirmed_publish_goes_to_the_spool(tmp_path: Path) -> None:
    broker, spool, woken = FlakyBroker(), make_spool(tmp_path), []
    desk = desk_for(broker, spool, lambda: woken.append(True))
    accepted = await desk.accept(request())
    assert broker.attempts == 1
    entry = spool.next_entry()
    assert entry is not None and str(accepted.submission_id) in entry.name
    assert woken == [True]
    # While older submissions wait, a new one queues behind them.
    await desk.accept(request())
    assert (broker.attempts, spool.depth) == (1, 2)


async def test_without_a_spool_an_unconfirmed_publish_is_503() -> None:
    desk = desk_for(FlakyBroker())
    with pytest.raises(ApiError) as caught:
        await desk.accept(request())
    assert caught.value.status == 503


DANGER = {**CONTACT, "message": "My father fell and cannot get up"}


async def test_with_the_broker_back_a_post_that_mentions_danger_does_not_queue_behind_the_spool(
    tmp_path: Path,
) -> None:
    spool = make_spool(tmp_path)
    await spool.put("older", b"x")  # still waiting to be forwarded
    broker = RecordingBroker()
    desk = desk_for(broker, spool)
    danger = await desk.accept(
        SubmissionRequest(
            submission_id=uuid4(), form=FormKind.CONTACT, fields=DANGER, client=ClientMeta()
        )
    )
    assert broker.published == [("submission.contact.priority", str(danger.submission_id))]
    await desk.accept(request())  # a routine post still waits its turn
    assert (len(broker.published), spool.depth) == (1, 2)


async def test_the_forwarder_sends_what_mentions_danger_first(tmp_path: Path) -> None:
    spool = make_spool(tmp_path)
    ids = {}
    for name, message in (("routine", "Do you have a newsletter?"), ("danger", DANGER["message"])):
        fields = ContactFields(name="Ana", email="ana@example.org", message=message)
        submission = Submission(id=uuid4(), form=FormKind.CONTACT, fields=fields)
        ids[name] = str(submission.id)
        await spool.put(ids[name], encode(submission), urgent=name == "danger")
    broker = RecordingBroker()
    forwarder = SpoolForwarder(spool, broker, IntakeMetrics())  # type: ignore[arg-type]
    await forwarder.close()  # its last pass forwards all that is left, in order
    assert broker.published == [
        ("submission.contact.priority", ids["danger"]),  # the lane its name carries
        ("submission.contact", ids["routine"]),
    ]
    assert spool.depth == 0
