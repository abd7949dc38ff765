"""A bad rule file stops start-up with the file, the rule and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.rules import DEFAULT_RULES, RuleFileError, load_rules

HEAD = """
version: "test-1"
cues:
  negation: ["no", not]
  past: [last year]
  hypothetical_before: [if]
  hypothetical_sentence: [planning ahead]
topics:
  - {name: money, topic: financial, phrases: [insurance]}
spam:
  rules:
    - {name: seo, phrases: [seo]}
urgency:
"""


def write(tmp_path: Path, urgency: str, head: str = HEAD) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(head + urgency, encoding="utf-8")
    return path


def test_the_shipped_rules_load() -> None:
    assert load_rules(DEFAULT_RULES).version.startswith("default-")


def test_a_minimal_file_loads(tmp_path: Path) -> None:
    rules = load_rules(write(tmp_path, "  - {name: now, level: emergency, phrases: [help]}\n"))
    assert rules.urgency[0].name == "now"


@pytest.mark.parametrize(
    ("urgency", "expected"),
    [
        (
            "  - {name: breathing_now, level: emergency, patterns: ['(unclosed']}\n",
            "rules.yaml: urgency rule 'breathing_now': pattern '(unclosed' is not a valid regex: "
            "missing ), unterminated subpattern",
        ),
        (
            "  - {name: panic, level: critical, phrases: [help]}\n",
            "rules.yaml: urgency rule 'panic': unknown urgency 'critical'",
        ),
        (
            "  - {name: panic, phrases: [help]}\n",
            "rules.yaml: urgency rule 'panic': missing required key 'level'",
        ),
        (
            "  - {name: panic, level: urgent, weight: heavy, phrases: [help]}\n",
            "rules.yaml: urgency rule 'panic': 'weight' must be a number, not 'heavy'",
        ),
        (
            "  - {name: panic, level: urgent}\n",
            "rules.yaml: urgency rule 'panic': needs at least one entry in 'phrases' or 'patterns'",
        ),
        (
            "  - {name: panic, level: urgent, phrases: [yes]}\n",
            "rules.yaml: urgency rule 'panic': 'phrases' entry True must be text",
        ),
    ],
)
def test_bad_rules_name_file_rule_and_reason(tmp_path: Path, urgency: str, expected: str) -> None:
    with pytest.raises(RuleFileError) as caught:
        load_rules(write(tmp_path, urgency))
    assert str(caught.value).startswith(expected)


def test_bad_yaml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match=r"^rules\.yaml: file: is not valid YAML"):
        load_rules(write(tmp_path, "  - {name: [unclosed\n"))


def test_missing_section_is_named(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="missing required key 'urgency'"):
        load_rules(write(tmp_path, "", head=HEAD.replace("urgency:\n", "")))


def test_unknown_topic_is_named(tmp_path: Path) -> None:
    head = HEAD.replace("topic: financial", "topic: money")
    with pytest.raises(RuleFileError, match="topic rule 'money': unknown topic 'money'"):
        load_rules(write(tmp_path, "  - {name: x, level: urgent, phrases: [a]}\n", head=head))
