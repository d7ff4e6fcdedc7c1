"""The admin pages' tests: an admin signed in, and the app's service."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.services.hotline import Hotline
from tests.signin import signed_in


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    return signed_in(app, "ada", "admin")


@pytest.fixture
def service(app: Flask) -> Hotline:
    service: Hotline = app.extensions["ivr"]
    return service
