"""Routing-file validation: clear errors naming the file, the path and the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from notifier.routing_file import RoutingConfig, RoutingFileError, load_routing, parse_routing
from notifier.settings import DEFAULT_ROUTING_FILE


def _raw() -> dict[str, Any]:
    return dict(yaml.safe_load(DEFAULT_ROUTING_FILE.read_text()))


def test_the_shipped_file_is_valid() -> None:
    assert isinstance(load_routing(DEFAULT_ROUTING_FILE), RoutingConfig)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r.update(timezone="Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
        (lambda r: r["on_call"]["weeks"].append({"primary": "zed", "backup": "alex"}), "'zed'"),
        (lambda r: r["rules"][1]["deliver"].append({"channel": "sms", "to": "nobody"}), "nobody"),
        (lambda r: r["topics"].update(symptoms="no-such-team"), "no-such-team"),
        (lambda r: r["rules"][1]["deliver"].append({"channel": "fax", "to": "alex"}), "rules.1"),
        (lambda r: r["staff"][0].update(phone="555-1234"), "staff.0.phone"),
        (
            lambda r: r["rules"][3]["deliver"].append({"channel": "sms", "to": "team_inbox"}),
            "person",
        ),
        (lambda r: r["digest"].update(to=["ghosts"]), "ghosts"),
        (lambda r: r.pop("staff"), "staff: Field required"),
        (lambda r: r.update(surprise=1), "surprise"),
    ],
)
def test_mistakes_are_named(change: Any, expected: str) -> None:
    raw = _raw()
    change(raw)
    with pytest.raises(RoutingFileError) as caught:
        parse_routing(raw, "routing.yaml")
    assert str(caught.value).startswith("routing.yaml: ")
    assert expected in str(caught.value)


def test_unreadable_and_broken_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(RoutingFileError, match="cannot read"):
        load_routing(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("staff: [unclosed\n")
    with pytest.raises(RoutingFileError, match=r"broken\.yaml: not valid YAML"):
        load_routing(broken)
