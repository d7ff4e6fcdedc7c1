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


class UserError(IvrError):
    """A user cannot be added, changed or found as asked (bad name, role, password...)."""


class SignInRefused(IvrError):
    """A sign-in was refused; the message is the same whether or not the user exists.
    `retry_after` is the seconds to wait when attempts are throttled (else 0)."""

    def __init__(self, message: str, retry_after: int = 0) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class ActionError(IvrError):
    """An admin action refused its input; `problems` lists each thing that is wrong."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class Conflict(ActionError):
    """Someone else changed the same thing first; nothing was overwritten."""
