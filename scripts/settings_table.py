"""Print the README's configuration tables from the settings classes.

`uv run python scripts/settings_table.py` regenerates them; a unit test
checks that the README names every variable, so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterator

from intake.settings import IntakeSettings
from notifier.settings import NotifierSettings
from pydantic_settings import BaseSettings
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
        shown = "" if default is None else f"`{default}`"
        if info.json_schema_extra and "secret" in str(info.json_schema_extra):
            shown = "random per process"
        yield f"| `{name.upper()}` | {shown} | {info.description or ''} |"


def env_names(settings: type[BaseSettings]) -> set[str]:
    return {name.upper() for name in settings.model_fields}


def main() -> None:
    common = set(ServiceSettings.model_fields)
    print("**Every service**\n\n| variable | default | meaning |\n|---|---|---|")
    print("\n".join(rows(ServiceSettings, set())))
    for service, settings in SERVICES.items():
        print(f"\n**{service}**\n\n| variable | default | meaning |\n|---|---|---|")
        print("\n".join(rows(settings, common)))


if __name__ == "__main__":
    main()
