"""The ceiling: a Flask app of its own, nothing of ours in it (no app factory, no hook, no
blueprint, no Redis), with one route returning the constant TwiML of bench/constant.py.
Served as `bare:app` from this folder by `make bench`, on a server of its own, just before the
real app: the webhooks' ratios are read against it.
"""

from __future__ import annotations

from flask import Flask, Response

from constant import CONSTANT_PATH, constant_twiml

app = Flask(__name__)
BODY = constant_twiml()


@app.post(CONSTANT_PATH)
def bare_constant() -> Response:
    return Response(BODY, mimetype="text/xml")
