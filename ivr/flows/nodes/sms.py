"""Node send_sms: text the caller a message of the flow (the support site's registration link
with their client ID, by default), to their mobile number only."""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import urlencode

from callbacks.policy import Policy
from ivr.flows.call import Call
from ivr.flows.nodes.base import Node
from ivr.flows.refs import NodeRef, PromptRef

SEND_PATH = "/voice/sms"
SEND_STAGE = "sms"


class SendSms(Node):
    """Send `message` by SMS to the caller's number when it is a mobile one the flow may
    text (the callback number policy, mobiles only), then say `sent_prompt`; otherwise say
    `refused_prompt`. The SMS is queued by SEND_PATH (an RQ job sends it, with retries; a
    failed send never breaks the call), which sends the call back here, then `next`.
    `message` may use {client_id}, {company} and {register_url}."""

    type: Literal["send_sms"]
    waits: ClassVar[bool] = True
    needs_sms: ClassVar[bool] = True

    message: PromptRef
    sent_prompt: PromptRef  # "we are sending you a text with the link"
    refused_prompt: PromptRef  # not a mobile number we may text: "... on the support site"
    next: NodeRef

    def enter(self, call: Call) -> str | None:
        policy = call.flow.config.callbacks or Policy()
        if policy.check_mobile(call.state.caller, also_own=[call.state.called]).number is None:
            call.say(self.refused_prompt)
            return self.next
        call.state.stage = SEND_STAGE
        query = {"v": call.flow.version, "n": call.node_name, "s": str(call.state.seq + 1)}
        call.response.redirect(f"{SEND_PATH}?{urlencode(query)}", method="POST")
        return None

    def receive(self, call: Call) -> str | None:
        if call.state.stage != SEND_STAGE:
            return self.next
        call.state.stage = None
        call.say(self.sent_prompt)
        return self.next
