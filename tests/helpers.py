"""Test helpers: a TwiML reader that parses the XML, and scripted calls through the simulator."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from flask import Flask

from ivr.local.simulator import IN_PROCESS_BASE, FlaskTransport, Result, Simulator

TOKEN = "test-auth-token-0123456789abcdef"
HOTLINE = "+33825000463"
UNKNOWN_CALLER = "+33612345678"


# what the shipped flow says (config/flow.yaml), shared by the scripted-call tests
ASK_ID = "Veuillez dire votre numéro client, ou le taper suivi de la touche dièse."
INVALID = "Ce numéro client n'est pas reconnu."
NO_ID = "Nous n'avons pas reçu votre numéro client."
NOT_IDENTIFIED = ("Nous n'avons pas pu vous identifier. Nous vous mettons en relation avec le "
                  "service maintenance, qui pourra vous aider.")
CONFIRM_ACME = ("Si vous appelez pour ACME Industrie, tapez 1. Sinon, dites votre numéro client, "
                "ou tapez-le suivi de la touche dièse.")
MENU_FR = "Pour le support technique, tapez 1."
ACME_PHONE = "+33144001001"


class TwiML:
    """A parsed TwiML document, for assertions on verbs, attributes and action URLs."""

    def __init__(self, body: str | bytes) -> None:
        self.root = ET.fromstring(body)
        assert self.root.tag == "Response", f"not a TwiML <Response>: {body!r}"

    @property
    def verbs(self) -> list[str]:
        """Top-level verbs, in order."""
        return [child.tag for child in self.root]

    def all(self, tag: str) -> list[ET.Element]:
        return list(self.root.iter(tag))

    def one(self, tag: str) -> ET.Element:
        found = self.all(tag)
        assert len(found) == 1, f"expected one <{tag}>, found {len(found)} in {self.verbs}"
        return found[0]

    def said(self) -> list[str]:
        """Texts of every <Say>, in document order, whitespace normalised."""
        return [" ".join((say.text or "").split()) for say in self.root.iter("Say")]

    def languages(self) -> list[str]:
        return [say.get("language", "") for say in self.root.iter("Say")]

    def action(self, tag: str = "Gather") -> tuple[str, dict[str, str]]:
        """(path, query) of a verb's action URL."""
        url = self.one(tag).get("action") or ""
        parts = urlsplit(url)
        return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def signed_post(client, validator, path: str, params: dict[str, str]):  # type: ignore[no-untyped-def]
    """POST like Twilio: form parameters and X-Twilio-Signature over the full URL."""
    url = f"{IN_PROCESS_BASE}{path}"
    signature = validator.compute_signature(url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def scripted_call(app: Flask, *presses: str, at: datetime | None = None,
                  caller: str = UNKNOWN_CALLER, called: str = HOTLINE) -> Result:
    """Run a whole call through the simulator (the same code as `ivr call`)."""
    if at is not None:
        app.extensions["ivr"].clock.set(at)
    simulator = Simulator(FlaskTransport(app), TOKEN, IN_PROCESS_BASE, caller, called,
                          list(presses))
    return simulator.run()


class Caller:
    """One call driven request by request, for tests that need to see each webhook."""

    def __init__(self, client, validator, sid: str = "CA0001",  # type: ignore[no-untyped-def]
                 caller: str = UNKNOWN_CALLER) -> None:
        self.client = client
        self.validator = validator
        self.params = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller,
                       "To": HOTLINE, "CallStatus": "in-progress", "Direction": "inbound",
                       "ApiVersion": "2010-04-01"}
        self.doc: TwiML | None = None

    def post(self, path: str, **extra: str) -> TwiML:
        response = signed_post(self.client, self.validator, path, {**self.params, **extra})
        assert response.status_code == 200, response.data
        assert response.mimetype == "text/xml"
        self.doc = TwiML(response.data)
        return self.doc

    def start(self) -> TwiML:
        return self.post("/voice/incoming", CallStatus="ringing")

    def action_url(self, tag: str = "Gather") -> str:
        assert self.doc is not None
        return self.doc.one(tag).get("action") or ""

    def press(self, keys: str | None, tag: str = "Gather", **extra: str) -> TwiML:
        """Answer the current question: keys, or None for a timeout (no Digits)."""
        digits = {} if keys is None else {"Digits": keys}
        return self.post(self.action_url(tag), **digits, **extra)
