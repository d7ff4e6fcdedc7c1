"""Twilio's Messaging API (`Messages.json`) and the SMS its numbers receive, as Twilio does them.

Sent messages start `queued`, then their StatusCallback hears `sent` and `delivered` (or
`undelivered`, or `failed` at once, for a phone scripted so: `{"sms": "failed"}` on the device
API). An inbound SMS (`POST /_local/messages` on the device API) is posted, signed, to the
app's messaging URL (`/sms/incoming`); each `<Message>` of its TwiML answer is sent back to
the person as an `outbound-reply`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import phonenumbers
from flask import jsonify, request
from flask.typing import ResponseReturnValue

from ivr.local.twilio.model import Message, World, new_sid, utcnow
from ivr.local.twilio.rest import bp, error, hooks, not_found, world
from ivr.local.twilio.shapes import API, is_url, newest_matching, page, rfc2822
from ivr.local.twilio.webhooks import Webhooks

log = logging.getLogger(__name__)
MAX_BODY = 1600  # Twilio refuses longer bodies (error 21617)
STEP = 1.0  # simulated seconds between two statuses of a message
# Twilio's error codes of a message that did not reach the phone
ERROR_CODES = {"failed": 30008, "undelivered": 30003}
INCOMING_PATH = "/sms/incoming"


def segments(body: str) -> int:
    """SMS parts: 160 GSM characters (153 each when split), 70 otherwise (67 each)."""
    ascii_only = all(ord(c) < 128 for c in body)
    single, part = (160, 153) if ascii_only else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // part)


def message_json(message: Message) -> dict[str, Any]:
    """Twilio's Message resource (api.v2010.account.message)."""
    uri = f"{API}/Accounts/{message.account_sid}/Messages/{message.sid}"
    return {
        "account_sid": message.account_sid, "api_version": "2010-04-01",
        "body": message.body, "date_created": rfc2822(message.created),
        "date_sent": rfc2822(message.sent), "date_updated": rfc2822(message.updated),
        "direction": message.direction, "error_code": message.error_code,
        "error_message": None, "from": message.from_, "messaging_service_sid": None,
        "num_media": "0", "num_segments": str(segments(message.body)), "price": None,
        "price_unit": "USD", "sid": message.sid, "status": message.status,
        "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
        "to": message.to, "uri": uri + ".json",
    }


def _valid(number: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


@bp.post("/Messages.json")
def create_message(account: str) -> ResponseReturnValue:
    form, local = request.form, world()
    to, from_, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
    if not to:
        return error(400, 21604, "A 'To' phone number is required.")
    if not _valid(to):
        return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if not from_:
        return error(400, 21603, "A 'From' phone number is required.")
    if not body:
        return error(400, 21602, "Message body is required.")
    if len(body) > MAX_BODY:
        return error(400, 21617, "The concatenated message body exceeds the 1600 character "
                                 "limit.")
    callback = form.get("StatusCallback")
    if callback and not is_url(callback):
        return error(400, 21609, f"Invalid StatusCallback url: {callback!r}")
    message = local.add_message(Message(new_sid("SM"), local.account_sid, from_, to, body,
                                        "outbound-api", "queued", status_callback=callback))
    _start(local, hooks(), message)
    return jsonify(message_json(message)), 201


@bp.get("/Messages.json")
def list_messages(account: str) -> ResponseReturnValue:
    local = world()
    with local.lock:
        every = list(local.messages.values())
    found = newest_matching(every, {"To": "to", "From": "from_"})
    return jsonify(page("messages", [message_json(m) for m in found]))


@bp.get("/Messages/<sid>.json")
def fetch_message(account: str, sid: str) -> ResponseReturnValue:
    local = world()
    with local.lock:
        message = local.messages.get(sid)
    return jsonify(message_json(message)) if message else not_found()


def _start(local: World, webhooks: Webhooks, message: Message) -> None:
    thread = threading.Thread(target=_deliver, args=(local, webhooks, message),
                              name=f"sms-{message.sid[:10]}", daemon=True)
    thread.start()


def _deliver(local: World, webhooks: Webhooks, message: Message) -> None:
    """queued -> sent -> delivered (or undelivered), or queued -> failed, each status told."""
    outcome = local.phone(message.to).sms
    steps = ["failed"] if outcome == "failed" else ["sent", outcome]
    for status in steps:
        if local.stopping.wait(local.clock.real(STEP)):
            return
        with local.lock:
            message.status, message.updated = status, utcnow()
            message.statuses.append(status)
            if status == "sent":
                message.sent = message.updated
            message.error_code = ERROR_CODES.get(status)
        if message.status_callback:
            params = {"AccountSid": message.account_sid, "ApiVersion": "2010-04-01",
                      "MessageSid": message.sid, "SmsSid": message.sid,
                      "MessageStatus": status, "SmsStatus": status, "From": message.from_,
                      "To": message.to}
            if message.error_code:
                params["ErrorCode"] = str(message.error_code)
            reply = webhooks.send(message.status_callback, "POST", params)
            if reply.error and reply.status != 200:
                log.info("SMS %s status callback: %s", message.sid, reply.reason)


def receive(local: World, webhooks: Webhooks, from_: str, to: str,
            body: str) -> dict[str, Any]:
    """A person texts one of the account's numbers: the app's messaging URL is asked, and
    the `<Message>`s it answers are sent back to them."""
    message = local.add_message(Message(new_sid("SM"), local.account_sid, from_, to, body,
                                        "inbound", "received"))
    params = {"MessageSid": message.sid, "SmsSid": message.sid, "SmsMessageSid": message.sid,
              "AccountSid": local.account_sid, "MessagingServiceSid": "", "From": from_,
              "To": to, "Body": body, "NumMedia": "0", "NumSegments": str(segments(body)),
              "SmsStatus": "received", "ApiVersion": "2010-04-01"}
    reply = webhooks.send(local.app_url + INCOMING_PATH, "POST", params)
    replies: list[str] = []
    if reply.root is not None:
        for verb in reply.root:
            if verb.tag == "Message":
                text = "".join(verb.itertext()).strip()
                if text:
                    answer = local.add_message(Message(
                        new_sid("SM"), local.account_sid, to, from_, text, "outbound-reply",
                        "sent", sent=utcnow()))
                    answer.statuses.append("delivered")
                    answer.status = "delivered"
                    replies.append(text)
    return {"sid": message.sid, "status": reply.status, "error": reply.error,
            "reason": reply.reason, "replies": replies}
