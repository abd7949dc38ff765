"""`make docs`: rewrite the README's configuration tables from the settings."""

from __future__ import annotations

from pathlib import Path

from settings_table import tables

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def readme_block(text: str) -> str:
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def main() -> None:
    text = README.read_text()
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    README.write_text(f"{before}{START}\n{tables()}\n{END}{after}")


if __name__ == "__main__":
    main()
