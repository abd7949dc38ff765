"""The danger pre-screen's second opinion: triage's own classifier, asked only
whether a text the stems let through reads as an emergency.

The lane it picks is a hint (shared.prescreen): triage still classifies every
submission, whichever queue it came from, so this never decides an urgency.
Stems alone sent about half the labeled emergencies to the ordinary queue,
where a flood holds them back; with this, 96 of 104 in sets written blind
and held out, for ~0.07-0.15 ms of CPU a post (bench/RESULTS.md, sixth and
seventh sessions).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from shared.contracts import Urgency
from shared.forms import MAX_LINE, MAX_MESSAGE, FormKind
from triage.engine import Classifier, load_classifier

# A subject and a message as long as the forms allow: the rate limit asks before
# the fields are validated, and the classifier's time grows with the text
# (~2 ms for a 5,000-character message, ~200 ms for 1 MB).
LONGEST_TEXT = MAX_LINE + 1 + MAX_MESSAGE


def triage_opinion(rules_file: Path | None) -> Callable[[str], bool]:
    """Raises triage.rules.RuleFileError for an unusable rule file."""
    classifier = _classifier(rules_file)

    def reads_as_emergency(text: str) -> bool:
        try:
            verdict = classifier.classify(FormKind.CONTACT, {"message": text[:LONGEST_TEXT]})
        except Exception:  # an engine bug: the short queue, where triage escalates it
            return True
        return verdict.urgency is Urgency.EMERGENCY

    return reads_as_emergency


@cache
def _classifier(rules_file: Path | None) -> Classifier:
    # Once per rule file and process: it takes a few hundred milliseconds, and
    # the tests build many apps in one process.
    return load_classifier(rules_file)
