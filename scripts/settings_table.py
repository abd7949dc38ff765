"""Print the README's configuration tables from the settings classes.

`uv run python scripts/settings_table.py` regenerates them; a unit test
checks that the README names every variable, so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic_settings import BaseSettings

from intake.settings import IntakeSettings
from notifier.settings import NotifierSettings
from shared.settings import ServiceSettings
from triage.settings import TriageSettings

SERVICES: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "triage": TriageSettings,
    "notifier": NotifierSettings,
}


def rows(settings: type[BaseSettings], skip: set[str]) -> Iterator[str]:
    for name, info in settings.model_fields.items():
        if name in skip:
            continue
        default = info.get_default(call_default_factory=False)
        shown = "" if default in (None, "") else f"`{default}`"
        if isinstance(default, Path) and default.is_absolute():
            shown = f"the shipped `{default.name}`"  # machine paths would make the README drift
        if info.json_schema_extra and "secret" in str(info.json_schema_extra):
            shown = "random per process"
        yield f"| `{name.upper()}` | {shown} | {info.description or ''} |"


def tables() -> str:
    common = set(ServiceSettings.model_fields)
    head = "| variable | default | meaning |\n|---|---|---|"
    parts = [f"**Every service**\n\n{head}\n" + "\n".join(rows(ServiceSettings, set()))]
    for service, settings in SERVICES.items():
        parts.append(f"**{service}**\n\n{head}\n" + "\n".join(rows(settings, common)))
    return "\n\n".join(parts)


def main() -> None:
    print(tables())


if __name__ == "__main__":
    main()
