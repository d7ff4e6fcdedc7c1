"""Node types of the call flow, one small class each."""

from __future__ import annotations

from typing import Union, get_args

from ivr.flows.nodes.base import Node
from ivr.flows.nodes.callback import Callback, CallbackCancel
from ivr.flows.nodes.connect import Enqueue, Transfer
from ivr.flows.nodes.contract import CheckContract
from ivr.flows.nodes.hours import CheckHours
from ivr.flows.nodes.identify import Identify
from ivr.flows.nodes.menu import ChooseLanguage, Menu
from ivr.flows.nodes.sms import SendSms
from ivr.flows.nodes.speak import Announcement, Hangup, Play, Say
from ivr.flows.nodes.voicemail import Voicemail

NODE_CLASSES: tuple[type[Node], ...] = (
    Say, Play, Announcement, Hangup, ChooseLanguage, Menu, CheckHours, Voicemail,
    Transfer, Enqueue, Identify, CheckContract, Callback, CallbackCancel, SendSms,
)
NODE_TYPE_NAMES = frozenset(get_args(c.model_fields["type"].annotation)[0] for c in NODE_CLASSES)
NODE_TYPES = Union[NODE_CLASSES]  # type: ignore[valid-type]  # noqa: UP007

__all__ = ["NODE_CLASSES", "NODE_TYPES", "NODE_TYPE_NAMES", "Node"]
