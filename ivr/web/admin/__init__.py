"""The admin area, /admin: the flow, hours, closures, announcements, clients, SMS, users, audit log.
Views only read the form and call `ivr.admin` actions; every page needs the admin role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, flash

from ivr.core.exceptions import ActionError, FlowError, ImportRowsError, IvrError
from ivr.services.hotline import Hotline, hotline
from ivr.web.auth import actor, require

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require("admin"))


def service() -> Hotline:
    return hotline()


def by() -> str:
    """The signed-in admin, for the audit log."""
    return actor()


def local(naive: datetime) -> datetime:
    """A time typed in a form, in the service's zone (Europe/Paris)."""
    return naive.replace(tzinfo=service().settings.tz)


def problems_of(exc: IvrError) -> list[str]:
    if isinstance(exc, FlowError | ImportRowsError | ActionError):
        return list(exc.problems)
    return [str(exc)]


def refused(exc: IvrError) -> None:
    for problem in problems_of(exc)[:50]:
        flash(problem, "error")


def form_errors(form: Any) -> None:
    for field, errors in form.errors.items():
        label = "the form expired; reload the page" if field == "csrf_token" else field
        for error in errors:
            flash(f"{label}: {error}", "error")


def act(form: Any, action: Callable[[], str]) -> bool:
    """The one way a form is handled: valid, `action` runs and what it returns is flashed;
    refused by the action (an IvrError), its problems are flashed; invalid, the form's field
    errors are. True when the action was done."""
    if not form.validate_on_submit():
        form_errors(form)
        return False
    try:
        message = action()
    except IvrError as exc:
        refused(exc)
        return False
    flash(message)
    return True


from ivr.web.admin import (  # noqa: E402  (the views register themselves on bp)
    views_clients,
    views_flow,
    views_hours,
    views_sms,
    views_users,
)

__all__ = ["bp", "views_clients", "views_flow", "views_hours", "views_sms", "views_users"]
