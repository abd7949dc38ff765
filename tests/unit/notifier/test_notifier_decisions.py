"""Throttle decisions, the Twilio signature, receipts, retry steps: all pure."""

from __future__ import annotations

from notifier.consumer import retry_step
from notifier.receipts import final_status
from notifier.routing_file import Limit
from notifier.signature import signature_valid, twilio_signature
from notifier.throttling import Flush, flush, may_send
from shared.contracts import Urgency

LIMIT = Limit(window_minutes=60, limit=3)


def test_below_the_limit_alerts_go_out() -> None:
    assert may_send(LIMIT, Urgency.URGENT, 2)
    assert not may_send(LIMIT, Urgency.URGENT, 3)
    assert may_send(None, Urgency.ROUTINE, 1000)


def test_emergencies_are_never_throttled() -> None:
    assert may_send(LIMIT, Urgency.EMERGENCY, 10_000)


def test_waiting_alerts_flush_alone_or_as_one_bundle() -> None:
    assert flush(LIMIT, 3, 5) is Flush.WAIT
    assert flush(LIMIT, 0, 0) is Flush.WAIT
    assert flush(LIMIT, 2, 1) is Flush.ONE
    assert flush(LIMIT, 0, 4) is Flush.BUNDLE
    assert flush(None, 0, 2) is Flush.BUNDLE


def test_signature_matches_twilios_documented_example() -> None:
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    assert twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert signature_valid("12345", url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not signature_valid("12345", url + "&x=1", params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not signature_valid("", url, params, "")


def test_only_final_statuses_are_recorded() -> None:
    assert final_status({"CallSid": "CA1", "CallStatus": "no-answer"}) == ("CA1", "no_answer")
    assert final_status({"CallSid": "CA1", "CallStatus": "completed"}) == ("CA1", "completed")
    assert final_status({"MessageSid": "SM1", "MessageStatus": "delivered"}) == ("SM1", "delivered")
    assert final_status({"MessageSid": "SM1", "MessageStatus": "undelivered"}) == ("SM1", "failed")
    assert final_status({"CallSid": "CA1", "CallStatus": "ringing"}) is None


def test_retries_back_off_through_the_delay_queues() -> None:
    assert [retry_step(a, 5) for a in range(7)] == [0, 1, 2, 3, 4, 4, 4]
