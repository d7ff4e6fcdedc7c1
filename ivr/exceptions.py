"""Every error the service raises on purpose."""

from __future__ import annotations


class IvrError(Exception):
    """Base of the project's own errors."""


class SettingsError(IvrError):
    """A setting from the environment is missing or wrong."""


class FlowError(IvrError):
    """A flow file is invalid; `problems` lists each place that is wrong."""

    def __init__(self, problems: list[str], source: str = "flow") -> None:
        self.problems = problems
        self.source = source
        super().__init__(f"{source}: " + "; ".join(problems))


class ImportRowsError(IvrError):
    """A CSV import was refused; `problems` lists each bad row."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} bad row(s): " + "; ".join(problems[:5]))


class ClockError(IvrError):
    """A time given by the user cannot be understood."""
