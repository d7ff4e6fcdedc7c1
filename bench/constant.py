"""`POST /bench/constant`: a TwiML string built once, without signature check, Redis or flow,
added to our app (bench/app.py), so that it runs our app-wide hooks (metrics, headers, the
session's). The ceiling the webhooks are judged against is the same route in a Flask app with
nothing of ours (bench/bare.py).
"""

from __future__ import annotations

from flask import Flask, Response
from twilio.twiml.voice_response import VoiceResponse

CONSTANT_PATH = "/bench/constant"


def constant_twiml() -> str:
    """A document the size and shape of the greeting /voice/incoming answers."""
    response = VoiceResponse()
    gather = response.gather(action="/voice/step?v=constant&n=greeting&s=1", input="dtmf",
                             num_digits=1, timeout=3, action_on_empty_result=True)
    gather.say("Bienvenue au support technique.", language="fr-FR", voice="Polly.Lea-Neural")
    gather.say("For English, press 9.", language="en-GB", voice="Polly.Amy-Neural")
    return str(response.to_xml())


def with_constant_route(app: Flask) -> Flask:
    body = constant_twiml()

    @app.post(CONSTANT_PATH)
    def bench_constant() -> Response:
        return Response(body, mimetype="text/xml")

    return app
