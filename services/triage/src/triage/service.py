"""The triage worker's composition root (written next)."""


def serve() -> None:
    raise NotImplementedError
