"""TwiML built as text: the verbs the call flow uses, with twilio-python's names and output.

`Response`, `Gather` and `Dial` take the same method names and keyword arguments as twilio's
`VoiceResponse`, and `Response.to_xml()` returns the very string `str(VoiceResponse.to_xml())`
gives for the same calls, for a third of the cost: each verb is written as a string when it is
added (one that holds others, when the document is), no ElementTree. As in twilio-python,
keyword arguments become attributes (None left out, names in camelCase, sorted by name,
booleans as `true` / `false`), and a verb's text is written only when it is not empty. Verbs
that hold nothing (`say`, `play`...) return None here, not an object.

The code makes its answers with `twiml_text.Response()`, looked up in this module at each
call: tests/flows/test_twiml_text_calls.py puts a tee in its place that checks every answer against
VoiceResponse (tests/flows/test_twiml_text.py checks escaping and each keyword argument)."""

from __future__ import annotations

from typing import Any

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
# twilio-python's TwiML.MAP: keyword arguments renamed before they are put in camelCase
_RENAMED = {"from_": "from", "xml_lang": "xml:lang", "interpret_as": "interpret-as",
            "for_": "for", "break_": "break"}
_NAMES: dict[str, str] = {}  # keyword argument -> attribute name, for the few the code uses


def escape_text(text: str) -> str:
    """Text of an element, escaped as ElementTree does (& < > only)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def escape_attribute(value: str) -> str:
    """An attribute's value, escaped as ElementTree does (also quotes, CR, LF and tab)."""
    value = escape_text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\t" in value:
        value = value.replace("\t", "&#09;")
    return value


def attribute_name(key: str) -> str:
    """The TwiML attribute of a keyword argument: `finish_on_key` -> `finishOnKey`."""
    name = _NAMES.get(key)
    if name is None:
        name = _NAMES[key] = _lower_camel(_RENAMED.get(key, key))
    return name


def _lower_camel(key: str) -> str:
    # twilio.twiml.lower_camel, word for word (str.title lowercases the rest of each word)
    if not key or "_" not in key:
        return key
    result = "".join(part.title() for part in key.split("_"))
    return result[0].lower() + result[1:]


def start_tag(name: str, attrs: dict[str, Any]) -> str:
    """`<Name a="..." b="..."`, without the closing bracket."""
    named = {attribute_name(key): value for key, value in attrs.items() if value is not None}
    tag = "<" + name
    for key in sorted(named):
        value = named[key]
        if value.__class__ is not str:
            value = ("true" if value else "false") if isinstance(value, bool) else str(value)
        tag += f' {key}="{escape_attribute(value)}"'
    return tag


def element(name: str, text: str | None, attrs: dict[str, Any]) -> str:
    """A verb that holds no other: `<Name ...>text</Name>`, or `<Name ... />` without text."""
    if text:
        return start_tag(name, attrs) + ">" + escape_text(text) + "</" + name + ">"
    return start_tag(name, attrs) + " />"


class _Holder:
    """A verb that holds others; they are kept as text until the document is written."""

    __slots__ = ("_start", "_text", "_inner")
    name = ""

    def __init__(self, text: str | None = None, **attrs: Any) -> None:
        self._start = start_tag(self.name, attrs)
        self._text = escape_text(text) if text else ""
        self._inner: list[str | _Holder] = []

    def add(self, twiml: str) -> None:
        """Add a verb written by `element`, as it is (a prompt written once per flow)."""
        self._inner.append(twiml)

    def xml(self) -> str:
        """This verb and what it holds, as TwiML."""
        inner = self._text + "".join(
            part if isinstance(part, str) else part.xml() for part in self._inner)
        if inner:
            return self._start + ">" + inner + "</" + self.name + ">"
        return self._start + " />"


class Gather(_Holder):
    """<Gather>: what is said and played while the caller may press keys."""

    __slots__ = ()
    name = "Gather"

    def say(self, message: str | None = None, **attrs: Any) -> None:
        self._inner.append(element("Say", message, attrs))

    def play(self, url: str | None = None, **attrs: Any) -> None:
        self._inner.append(element("Play", url, attrs))

    def pause(self, **attrs: Any) -> None:
        self._inner.append(element("Pause", None, attrs))


class Dial(_Holder):
    """<Dial>: a number as its text, or the nouns it rings."""

    __slots__ = ()
    name = "Dial"

    def number(self, phone_number: str, **attrs: Any) -> None:
        self._inner.append(element("Number", phone_number, attrs))

    def sip(self, sip_url: str | None = None, **attrs: Any) -> None:
        self._inner.append(element("Sip", sip_url, attrs))

    def client(self, identity: str | None = None, **attrs: Any) -> None:
        self._inner.append(element("Client", identity, attrs))


class Response(_Holder):
    """<Response>: the TwiML document answered to a webhook."""

    __slots__ = ()
    name = "Response"

    def __init__(self, **attrs: Any) -> None:
        super().__init__(None, **attrs)

    def say(self, message: str | None = None, **attrs: Any) -> None:
        self._inner.append(element("Say", message, attrs))

    def play(self, url: str | None = None, **attrs: Any) -> None:
        self._inner.append(element("Play", url, attrs))

    def pause(self, **attrs: Any) -> None:
        self._inner.append(element("Pause", None, attrs))

    def gather(self, **attrs: Any) -> Gather:
        gather = Gather(None, **attrs)
        self._inner.append(gather)
        return gather

    def dial(self, number: str | None = None, **attrs: Any) -> Dial:
        dial = Dial(number, **attrs)
        self._inner.append(dial)
        return dial

    def enqueue(self, name: str | None = None, **attrs: Any) -> None:
        self._inner.append(element("Enqueue", name, attrs))

    def record(self, **attrs: Any) -> None:
        self._inner.append(element("Record", None, attrs))

    def redirect(self, url: str, **attrs: Any) -> None:
        self._inner.append(element("Redirect", url, attrs))

    def message(self, text: str, **attrs: Any) -> None:
        """<Message>: in the answer to an inbound SMS, a reply to its sender."""
        self._inner.append(element("Message", text, attrs))

    def leave(self, **attrs: Any) -> None:
        self._inner.append(element("Leave", None, attrs))

    def hangup(self, **attrs: Any) -> None:
        self._inner.append(element("Hangup", None, attrs))

    def to_xml(self, xml_declaration: bool = True) -> str:
        """The document, as twilio's `str(VoiceResponse.to_xml())` writes it."""
        xml = self.xml()
        if not xml.isascii():
            try:
                xml.encode("utf-8")
            except UnicodeEncodeError:  # lone surrogates: ElementTree writes character refs
                xml = xml.encode("utf-8", "xmlcharrefreplace").decode("utf-8")
        return DECLARATION + xml if xml_declaration else xml

    def __str__(self) -> str:
        return self.to_xml()
