"""The whole flow file's schema (FlowConfig: the settings of ivr/flows/schema.py and the
nodes), and the registry of node kinds it reads them with, one class each (ivr/flows/nodes/)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Union, get_args

from pydantic import Field

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
from ivr.flows.schema import FlowSettings, Name

NODE_CLASSES: tuple[type[Node], ...] = (
    Say, Play, Announcement, Hangup, ChooseLanguage, Menu, CheckHours, Voicemail,
    Transfer, Enqueue, Identify, CheckContract, Callback, CallbackCancel, SendSms,
)
NODE_TYPE_NAMES = frozenset(get_args(c.model_fields["type"].annotation)[0] for c in NODE_CLASSES)
NODE_TYPES = Union[NODE_CLASSES]  # type: ignore[valid-type]  # noqa: UP007
if TYPE_CHECKING:
    AnyNode = Node
else:
    AnyNode = Annotated[NODE_TYPES, Field(discriminator="type")]


class FlowConfig(FlowSettings):
    """A whole call flow, as an admin writes it."""

    nodes: dict[Name, AnyNode] = Field(min_length=1)
