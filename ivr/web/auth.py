"""Sign-in for the web pages and the JSON API: /login, /logout, and the checks every
blueprint uses.

    from ivr.web.auth import login_required, api_required, current_user

    @bp.get("/supervisor")
    @login_required("supervisor")      # pages: sign-in page when anonymous, 403 below the role
    def board(): ...

    @bp.post("/api/agents/me/presence")
    @api_required("agent")             # JSON: bearer token or session; 401 / 403 as JSON
    def presence(): ...

    bp.before_request(require("admin"))          # or a whole blueprint at once

A role means that role or a higher one (agent < supervisor < admin). Requests that change
something (POST, PUT, PATCH, DELETE) on a session must carry the CSRF token (forms: the
form's hidden field; JavaScript: the `X-CSRFToken` header from `<meta name="csrf-token">`);
requests with a bearer token carry none, since a browser never sends one on its own.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Request,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ivr.core.exceptions import SignInRefused
from ivr.core.logsafe import clean
from ivr.people import sessions, users
from ivr.people.users import User
from ivr.services.hotline import Hotline, hotline
from ivr.web.headers import served_over_https

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask, service: Hotline) -> None:
    """Session cookies signed with the secret key, CSRF checks, the sign-in pages."""
    settings = service.settings
    app.secret_key = settings.flask_secret()
    app.config.update(
        SESSION_COOKIE_NAME="ivr_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # never sent over plain http once the service is served over https (IVR_PUBLIC_URL)
        SESSION_COOKIE_SECURE=settings.env == "production" or served_over_https(settings),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
        # checked where a session changes something (login_required / api_required), so
        # Twilio's webhooks and bearer-token requests are never asked for a token
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=settings.session_max_hours * 3600,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,  # a client CSV; larger is refused with 413
        MAX_FORM_MEMORY_SIZE=8 * 1024 * 1024,  # a pasted flow; its own limit is checked later
    )
    app.session_interface = CookieSessions()
    csrf.init_app(app)
    app.register_blueprint(bp)
    app.register_error_handler(CSRFError, _csrf_refused)
    for code in (401, 403, 413):
        app.register_error_handler(code, error_page)
    app.context_processor(lambda: {"current_user": current_user(), "nav_links": nav_links})


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, but a request without the cookie (every Twilio webhook)
    gets its empty session without the signing serializer Flask builds per request (~15 us)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def lifetime(service: Hotline) -> sessions.Lifetime:
    s = service.settings
    return sessions.Lifetime(idle=s.session_idle_minutes * 60, max_age=s.session_max_hours * 3600)


# -- who is asking -------------------------------------------------------------------------------


def current_user() -> User | None:
    """The signed-in user of this request (session or bearer token), or None."""
    if "user" not in g:
        g.user = _bearer_user() if _bearer() is not None else _session_user()
    user: User | None = g.user
    return user


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _bearer_user() -> User | None:
    return users.user_for_token(hotline().redis, _bearer() or "")


def _session_user() -> User | None:
    sid = session.get("sid")
    if not sid:
        return None
    service = hotline()
    user = sessions.resume(service.redis, sid, service.clock.now(), lifetime(service))
    if user is None:
        session.clear()
    return user


def actor() -> str:
    """The name to record in the audit log for this request."""
    user = current_user()
    return user.name if user else "anonymous"


# -- checks for other blueprints -------------------------------------------------------------------


def check(role: str | None = None, api: bool = False) -> ResponseReturnValue | None:
    """The answer that refuses this request, or None when it may go on: anonymous -> the
    sign-in page (API: 401), below `role` -> 403, a session request that changes something
    without its CSRF token -> 400."""
    user = current_user()
    if user is None:
        if api:
            return _json_error(401, "sign in, or send Authorization: Bearer <token>")
        if request.method in UNSAFE:
            abort(401)
        # script_root: the prefix of a reverse proxy (X-Forwarded-Prefix), kept
        back = request.script_root + request.full_path.rstrip("?")
        return redirect(url_for("auth.login", next=back))
    if role and not user.can(role):
        if api:
            return _json_error(403, f"needs the {role} role")
        abort(403)
    if request.method in UNSAFE and _bearer() is None:
        csrf.protect()
    return None


def require(role: str | None = None, api: bool = False) -> Callable[[], Any]:
    """A `before_request` hook for a whole blueprint:
    `bp.before_request(require("admin"))`."""
    return lambda: check(role, api)


def login_required(role: str | None = None) -> Callable[[F], F]:
    """For pages: anonymous -> the sign-in page; signed in below `role` -> 403; CSRF checked on
    requests that change something."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            return check(role) or view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def api_required(role: str | None = None) -> Callable[[F], F]:
    """For JSON: a bearer token (`Authorization: Bearer ivr_...`) or a session; 401 / 403 with a
    JSON reason; CSRF checked on session requests that change something."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            return check(role, api=True) or view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def _json_error(status: int, reason: str) -> ResponseReturnValue:
    response = jsonify(error=reason)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ivr"'
    return response, status


def _csrf_refused(error: CSRFError) -> ResponseReturnValue:
    reason = f"refused: {error.description} Reload the page and try again."
    if request.path.startswith("/api/") or request.is_json:
        return jsonify(error=reason), 400
    return render_template("error.html", code=400, message=reason), 400


def error_page(error: HTTPException) -> ResponseReturnValue:
    """401/403/413 as a page (JSON under /api/; Twilio's webhooks keep their plain answer)."""
    code = error.code or 500
    if request.path.startswith("/voice/"):
        return error
    message = {401: "Sign in first.", 403: "Your role does not give access to this page.",
               413: "That upload or form is too large."}.get(code, error.description or "")
    if request.path.startswith("/api/"):
        return jsonify(error=message), code
    return render_template("error.html", code=code, message=message), code


# -- the pages -----------------------------------------------------------------------------------


class LoginForm(FlaskForm):
    name = StringField("User name", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (no open redirect to another host)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


# the areas of the site: (label, endpoint, role needed); an area not served yet is skipped
AREAS = (("Admin", "admin.home", "admin"), ("Supervisor", "supervisor.home", "supervisor"),
         ("Console", "agents.home", "agent"), ("Maintenance", "maintenance.home", "supervisor"))


def nav_links() -> list[tuple[str, str]]:
    """(label, URL) of each area the signed-in user may open."""
    user = current_user()
    served = _endpoints()
    return [(label, url_for(endpoint)) for label, endpoint, role in AREAS
            if user is not None and user.can(role) and endpoint in served]


def home_for(user: User) -> str:
    """Where a user lands after sign-in: the first area of their role that this app serves."""
    for _, endpoint, role in AREAS:
        if user.can(role) and endpoint in _endpoints():
            return url_for(endpoint)
    return url_for("auth.whoami")


def _endpoints() -> set[str]:
    return set(current_app.view_functions)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm(next=request.args.get("next", ""))
    if request.method == "GET":
        return render_template("auth/login.html", form=form, error=None)
    if not form.validate_on_submit():
        error = ("The form expired or was not sent from this site: try again."
                 if "csrf_token" in form.errors else "Give a user name and a password.")
        return render_template("auth/login.html", form=form, error=error), 400
    service = hotline()
    address = request.remote_addr or "?"
    try:
        user = sessions.sign_in(service.redis, form.name.data or "", form.password.data or "",
                                address, service.clock.now())
    except SignInRefused as exc:
        log.info("sign-in refused from %s", clean(address))
        page = render_template("auth/login.html", form=form, error=str(exc))
        if exc.retry_after:
            return page, 429, {"Retry-After": str(exc.retry_after)}
        return page, 401
    old = session.get("sid")
    if old:
        sessions.close(service.redis, old)
    session.clear()  # a fresh session: nothing carried over from before sign-in
    session["sid"] = sessions.open_session(service.redis, user, service.clock.now(),
                                           lifetime(service))
    session.permanent = True
    log.info("%s signed in", user.name)
    return redirect(_safe_next(form.next.data) or home_for(user))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    csrf.protect()
    sid = session.get("sid")
    if sid:
        sessions.close(hotline().redis, sid)
    session.clear()
    flash("Signed out.")
    return redirect(url_for("auth.login"))


@bp.get("/me")
@login_required()
def whoami() -> ResponseReturnValue:
    """Who is signed in (a landing page for users whose area is not served here)."""
    return render_template("auth/me.html")
