"""Settings from the environment: defaults, and a clear message naming each bad value."""

from __future__ import annotations

import pytest

from ivr.core.exceptions import SettingsError
from ivr.core.settings import load_settings


def test_defaults_use_the_embedded_redis_and_demo_data():
    settings = load_settings({})
    assert settings.embedded_redis and settings.load_demo_data
    assert settings.validate_signatures and settings.env == "development"


def test_redis_url_turns_demo_data_off_unless_asked():
    assert not load_settings({"REDIS_URL": "redis://h:6379/0"}).load_demo_data
    assert load_settings({"REDIS_URL": "redis://h:6379/0", "IVR_DEMO_DATA": "1"}).load_demo_data


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("REDIS_URL", "localhost:6379", "must start with redis://"),
    ("IVR_PUBLIC_URL", "hotline.example.com", "http:// or https://"),
    ("IVR_CALL_TTL", "soon", "valid integer"),
    ("IVR_CALL_TTL", "5", "greater than or equal to 60"),
    ("IVR_PROXY_HOPS", "-1", "greater than or equal to 0"),
    ("IVR_VALIDATE_SIGNATURES", "perhaps", "valid boolean"),
    ("IVR_FALLBACK_NUMBER", "12", "valid phone number"),
    ("IVR_ENV", "staging", "'development' or 'production'"),
    ("IVR_LOG_LEVEL", "LOUD", "DEBUG"),
])
def test_bad_value_is_named(name, value, expected):
    with pytest.raises(SettingsError) as caught:
        load_settings({name: value})
    message = str(caught.value)
    assert f"{name}={value!r}" in message and expected in message


def test_production_needs_a_real_token_and_signature_checks(tmp_path):
    settings = load_settings({"IVR_ENV": "production", "IVR_INSTANCE_DIR": str(tmp_path)})
    with pytest.raises(SettingsError, match="TWILIO_AUTH_TOKEN"):
        settings.auth_token()
    with pytest.raises(SettingsError, match="IVR_VALIDATE_SIGNATURES"):
        load_settings({"IVR_ENV": "production", "IVR_VALIDATE_SIGNATURES": "false"})


def test_development_token_is_made_once_and_kept_private(tmp_path):
    settings = load_settings({"IVR_INSTANCE_DIR": str(tmp_path)})
    token = settings.auth_token()
    assert len(token) == 32 and settings.auth_token() == token
    assert (tmp_path / "dev_auth_token").stat().st_mode & 0o077 == 0


def test_fallback_number_is_stored_in_e164():
    settings = load_settings({"IVR_FALLBACK_NUMBER": "01 44 00 99 99"})
    assert settings.fallback_number == "+33144009999"


def test_sentinels_are_parsed_and_replace_the_embedded_redis():
    settings = load_settings({"IVR_REDIS_SENTINELS": "10.0.0.1:26379, sentinel-2:26380"})
    assert settings.redis_sentinels == [("10.0.0.1", 26379), ("sentinel-2", 26380)]
    assert not settings.embedded_redis
    with pytest.raises(SettingsError, match="IVR_REDIS_SENTINELS"):
        load_settings({"IVR_REDIS_SENTINELS": "10.0.0.1"})


def test_a_clock_shift_makes_every_process_agree_on_a_travelled_time():
    from datetime import UTC, datetime, timedelta

    from ivr.core.clock import Clock

    settings = load_settings({"IVR_CLOCK_SHIFT": "86400"})
    moved = Clock.shifted(settings.clock_shift).now() - datetime.now(UTC)
    assert timedelta(hours=23, minutes=59) < moved < timedelta(days=1, minutes=1)
    with pytest.raises(SettingsError, match="IVR_CLOCK_SHIFT: the clock cannot be shifted"):
        load_settings({"IVR_CLOCK_SHIFT": "60", "IVR_ENV": "production",
                       "TWILIO_AUTH_TOKEN": "t", "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
                       "IVR_SECRET_KEY": "k" * 40})


def test_a_faster_clock_needs_its_start_and_no_production():
    from ivr.core.clock import Clock

    settings = load_settings({"IVR_CLOCK_SCALE": "60", "IVR_CLOCK_START": "1796630400.5"})
    assert (settings.clock_scale, settings.clock_start) == (60.0, 1796630400.5)
    assert Clock.shifted(settings.clock_shift, settings.clock_scale,
                         settings.clock_start).scale == 60.0
    with pytest.raises(SettingsError, match="IVR_CLOCK_SCALE: needs IVR_CLOCK_START"):
        load_settings({"IVR_CLOCK_SCALE": "60"})
    with pytest.raises(SettingsError, match="IVR_CLOCK_SCALE='0': Input should be greater than 0"):
        load_settings({"IVR_CLOCK_SCALE": "0", "IVR_CLOCK_START": "1"})
    with pytest.raises(SettingsError, match="IVR_CLOCK_SCALE: the clock cannot run faster"):
        load_settings({"IVR_CLOCK_SCALE": "60", "IVR_CLOCK_START": "1", "IVR_ENV": "production",
                       "TWILIO_AUTH_TOKEN": "t", "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
                       "IVR_SECRET_KEY": "k" * 40})
