"""Personal values and secrets a test sent, and a scan of the services' logs
for them: no log line may hold a message, a name, an address, a phone number
or a secret, whatever the test did to the services."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

PERSONAL_KEYS = ("name", "email", "phone", "message", "subject", "location")
# A JSON log line's event name is a constant of our code, never what a person
# wrote. Hypothesis draws strings from the code's constants too, so a generated
# field can equal one ("submission.invalid") without anything having leaked.
_EVENT = re.compile(r'"event": ?"[a-z_.]*"')


@dataclass
class Sensitive:
    """Values that must never appear in a log line."""

    values: set[str] = field(default_factory=set)

    def add(self, *values: object) -> None:
        for value in values:
            if isinstance(value, str) and _distinctive(value):
                self.values.add(value)

    def add_fields(self, fields: object) -> None:
        if isinstance(fields, dict):
            self.add(*(fields.get(key) for key in PERSONAL_KEYS))


def _distinctive(value: str) -> bool:
    # Short or repetitive generated values ("0000000") match timestamps and ids
    # by chance; only values that cannot appear in a log line by accident count.
    text = value.strip()
    return len(text) >= 10 and len(set(text)) >= 5


def leaks(log_text: str, values: Iterable[str]) -> list[str]:
    """The values found in the log, as written or as JSON escapes them."""
    lowered = _EVENT.sub("", log_text).lower()
    found = []
    for value in values:
        forms = {
            value.strip(),
            json.dumps(value.strip())[1:-1],
            json.dumps(value.strip(), ensure_ascii=False)[1:-1],
        }
        # Every line of a multi-line message counts on its own.
        forms.update(line.strip() for line in value.splitlines() if _distinctive(line))
        if any(form and form.lower() in lowered for form in forms):
            found.append(value)
    return found
