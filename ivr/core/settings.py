"""Settings read from the environment, validated once at start-up."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ivr.core.exceptions import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAX_UPLOAD = 128 * 1024 * 1024  # bytes of any request but a webhook (a client CSV upload)
TWILIO_API = "https://api.twilio.com"
# the account of the local Twilio stand-in (ivr/local/twilio) when no real one is configured
LOCAL_ACCOUNT_SID = "AC" + "10ca1" + "0" * 27

# environment variable -> settings field
LOCAL_SMS_FROM = "+33644600463"  # the sender of SMS in development (a French mobile number)
ENV_NAMES = {
    "REDIS_URL": "redis_url",
    "IVR_REDIS_SENTINELS": "redis_sentinels",
    "IVR_REDIS_SENTINEL_MASTER": "redis_sentinel_master",
    "TWILIO_ACCOUNT_SID": "twilio_account_sid",
    "TWILIO_AUTH_TOKEN": "twilio_auth_token",
    "TWILIO_API_URL": "twilio_api_url",
    "IVR_ENV": "env",
    "IVR_PUBLIC_URL": "public_url",
    "IVR_PROXY_HOPS": "proxy_hops",
    "IVR_VALIDATE_SIGNATURES": "validate_signatures",
    "IVR_FLOW_FILE": "flow_file",
    "IVR_DEMO_DATA": "demo_data",
    "IVR_INSTANCE_DIR": "instance_dir",
    "IVR_CALL_TTL": "call_ttl",
    "IVR_FALLBACK_NUMBER": "fallback_number",
    "IVR_SMS_FROM": "sms_from",
    "IVR_LOG_LEVEL": "log_level",
    "IVR_CLOCK_SHIFT": "clock_shift",
    "IVR_CLOCK_SCALE": "clock_scale",
    "IVR_CLOCK_START": "clock_start",
    "IVR_TIMEZONE": "timezone",
    "IVR_RECORDS_DAYS": "records_days",
    "IVR_SECRET_KEY": "secret_key",
    "IVR_SESSION_IDLE_MINUTES": "session_idle_minutes",
    "IVR_SESSION_MAX_HOURS": "session_max_hours",
    "IVR_METRICS_TOKEN": "metrics_token",
    "IVR_MAX_BODY": "max_body",
    "IVR_SHARED_CACHE": "shared_cache",
}

# never echoed in an error
SECRET_FIELDS = frozenset({"secret_key", "twilio_auth_token", "metrics_token"})


class Settings(BaseModel):
    """Everything the service reads from its environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    redis_url: str | None = None
    redis_sentinels: list[tuple[str, int]] = []
    redis_sentinel_master: str = "mymaster"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_api_url: str = TWILIO_API
    env: Literal["development", "production"] = "development"
    public_url: str | None = None
    proxy_hops: int = Field(default=0, ge=0, le=5)
    validate_signatures: bool = True
    flow_file: Path = PROJECT_ROOT / "config" / "flow.yaml"
    demo_data: bool | None = None
    instance_dir: Path = PROJECT_ROOT / "instance"
    call_ttl: int = Field(default=4 * 3600, ge=60)
    fallback_number: str | None = None
    sms_from: str | None = None  # the number SMS are sent from (a Twilio number that can)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    clock_shift: float = 0.0  # seconds added to the real time (development: time travel)
    # benches: simulated seconds per real second, counted from the real Unix time
    # `clock_start`, which every process of the run is given
    clock_scale: float = Field(default=1.0, gt=0, le=1000)
    clock_start: float | None = Field(default=None, ge=0)
    timezone: str = "Europe/Paris"  # the contact centre's days (call records, figures)
    records_days: int = Field(default=90, ge=1, le=3660)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
    secret_key: str | None = Field(default=None, min_length=32)
    session_idle_minutes: int = Field(default=60, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=24 * 30)
    # the bearer token Prometheus sends to /metrics; without it /metrics is off
    metrics_token: str | None = Field(default=None, min_length=16, max_length=200)
    max_body: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)  # bytes of a request
    # seconds a web process keeps the current flow version and the live switches (emergency
    # closure, announcements) before reading them again: a publish or a switch reaches new
    # calls within this time (0: read them at every webhook)
    shared_cache: float = Field(default=0.5, ge=0, le=5)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"must start with redis://, rediss:// or unix://, got {value!r}")
        return value or None

    @field_validator("redis_sentinels", mode="before")
    @classmethod
    def _sentinels(cls, value: object) -> object:
        """'host1:26379,host2:26379' -> [(host1, 26379), (host2, 26379)]."""
        if not isinstance(value, str):
            return value
        pairs = []
        for item in filter(None, (part.strip() for part in value.split(","))):
            host, _, port = item.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"each sentinel is host:port, got {item!r}")
            pairs.append((host, int(port)))
        return pairs

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value.rstrip("/") if value else None

    @field_validator("twilio_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("fallback_number", "sms_from")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if not value:
            return None
        from ivr.core.phones import parse_phone

        parsed = parse_phone(value)
        if parsed is None:
            raise ValueError(f"must be a valid phone number, got {value!r}")
        return parsed

    @property
    def embedded_redis(self) -> bool:
        """True when neither REDIS_URL nor sentinels are given: the embedded server is used."""
        return self.redis_url is None and not self.redis_sentinels

    @property
    def load_demo_data(self) -> bool:
        """Demo clients are loaded by default only on the embedded development Redis."""
        if self.demo_data is not None:
            return self.demo_data
        return self.embedded_redis and self.env == "development"

    @property
    def twilio_local(self) -> str | None:
        """The local Twilio stand-in's URL when TWILIO_API_URL is one (loopback, development)."""
        host = urlsplit(self.twilio_api_url).hostname
        if self.env == "development" and host in ("127.0.0.1", "localhost", "::1"):
            return self.twilio_api_url
        return None

    def account_sid(self) -> str:
        """The Twilio account; in development, the local stand-in's when none is given."""
        if self.twilio_account_sid:
            return self.twilio_account_sid
        if self.env == "production":
            raise SettingsError("TWILIO_ACCOUNT_SID: required when IVR_ENV=production")
        return LOCAL_ACCOUNT_SID

    def auth_token(self) -> str:
        """The token that signs Twilio's requests; in development, a local one is made up."""
        if self.twilio_auth_token:
            return self.twilio_auth_token
        if self.env == "production":
            raise SettingsError("TWILIO_AUTH_TOKEN: required when IVR_ENV=production")
        return development_token(self.instance_dir)

    def sms_sender(self) -> str | None:
        """The number SMS are sent from; in development the stand-in's, None (no SMS) when
        IVR_SMS_FROM is not set in production."""
        if self.sms_from:
            return self.sms_from
        return None if self.env == "production" else LOCAL_SMS_FROM

    def flask_secret(self) -> str:
        """The key that signs session cookies; in development, a local one is made up."""
        if self.secret_key:
            return self.secret_key
        if self.env == "production":
            raise SettingsError("IVR_SECRET_KEY: required when IVR_ENV=production "
                                "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")
        return instance_secret(self.instance_dir, "secret_key", 32)


def development_token(instance_dir: Path) -> str:
    """A random auth token kept in the instance folder, shared by server and simulator."""
    return instance_secret(instance_dir, "dev_auth_token", 16)


def instance_secret(instance_dir: Path, name: str, size: int) -> str:
    """A random secret kept (private) in the instance folder, made the first time; made
    atomically, so that processes starting together all read the same one."""
    path = instance_dir / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    instance_dir.mkdir(parents=True, exist_ok=True)
    draft = instance_dir / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(size))
    try:
        os.link(draft, path)  # fails when another process made it first: theirs is kept
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from the environment; a bad value raises SettingsError naming it."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {
        field: environ[name] for name, field in ENV_NAMES.items() if environ.get(name, "") != ""
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        field_to_env = {field: name for name, field in ENV_NAMES.items()}
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            name = field_to_env.get(field, field)
            shown = "(hidden)" if field in SECRET_FIELDS else repr(values.get(field))
            problems.append(f"{name}={shown}: {error['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
    if settings.env == "production" and settings.clock_shift:
        raise SettingsError("IVR_CLOCK_SHIFT: the clock cannot be shifted when IVR_ENV=production")
    if settings.clock_scale != 1 and settings.env == "production":
        raise SettingsError("IVR_CLOCK_SCALE: the clock cannot run faster when IVR_ENV=production")
    if settings.clock_scale != 1 and settings.clock_start is None:
        raise SettingsError("IVR_CLOCK_SCALE: needs IVR_CLOCK_START, the real Unix time every "
                            "process of the run counts from")
    if settings.env == "production" and not settings.validate_signatures:
        raise SettingsError("IVR_VALIDATE_SIGNATURES: cannot be turned off when IVR_ENV=production")
    return settings
