"""What an emergency sent while the ledger was down travels with its retry copy."""

from __future__ import annotations

from notifier import unrecorded
from notifier.unrecorded import Sent


def test_what_was_sent_travels_in_a_header_and_garbage_reads_as_nothing() -> None:
    sent = (Sent("olive", "voice", "failed", ""), Sent("bruno", "voice", "sent", "CA1"))
    headers = unrecorded.written({"x-notifier-attempt": 2}, sent)
    assert unrecorded.read(headers) == sent
    assert headers["x-notifier-attempt"] == 2
    for raw in (None, 7, "not json", '{"a": 1}', '[["olive", "voice"]]', "[[1, 2, 3, 4]]"):
        assert unrecorded.read({unrecorded.HEADER: raw}) == ()
    assert unrecorded.keys(sent) == {("olive", "voice"), ("bruno", "voice")}
