"""Telegram's HTML dialect, as the fake reads a message sent with ``parse_mode=HTML``.

A handful of tags, four named character references, strict nesting; the plain text and its
entities come out exactly as Telegram derives them, and anything Telegram refuses (plus a bare
``&``, see the package's docstring) is refused with Telegram's error text.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.telegram.spec import BotApiError, bad_request

MAX_MESSAGE_LENGTH = 4096


def utf16_length(text: str) -> int:
    """Telegram measures entity offsets in UTF-16 code units, not code points."""
    return len(text.encode("utf-16-le")) // 2


_TAG_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED_CHARACTERS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHARACTER_REFERENCE = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_TAG_NAME = re.compile(r"[^\s>]*")
_ATTRIBUTE = re.compile(
    r"""([A-Za-z_][\w-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""", re.ASCII
)


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str]
    offset: int  # UTF-16 offset in the plain text where the tag's content starts
    language: str | None = None  # <pre><code class="language-x"> sets the block's language


class _HtmlParser:
    """Telegram's HTML dialect: a handful of tags, four named entities, strict nesting."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._position = 0
        self._text: list[str] = []
        self._text_length = 0  # in UTF-16 code units
        self._open: list[_OpenTag] = []
        self._entities: list[dict[str, Any]] = []

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        while self._position < len(self._source):
            tag_start = self._source.find("<", self._position)
            text_end = len(self._source) if tag_start == -1 else tag_start
            self._emit(self._unescape(self._source[self._position : text_end], self._position))
            self._position = text_end
            if tag_start != -1:
                self._read_tag()
        if self._open:
            name = self._open[-1].name
            raise self._error(f'Can\'t find end tag corresponding to start tag "{name}"')
        entities = sorted(self._entities, key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self._text), entities

    def _emit(self, text: str) -> None:
        self._text.append(text)
        self._text_length += utf16_length(text)

    def _byte_offset(self, position: int) -> int:
        return len(self._source[:position].encode())

    @staticmethod
    def _error(detail: str) -> BotApiError:
        return bad_request(f"can't parse entities: {detail}")

    def _unescape(self, text: str, position: int) -> str:
        if "&" not in text:
            return text  # most of a message: nothing to check or replace
        for ampersand in re.finditer("&", text):
            reference = _CHARACTER_REFERENCE.match(text, ampersand.start())
            if reference is None or _referenced_character(reference) is None:
                offset = self._byte_offset(position + ampersand.start())
                raise self._error(f'Unescaped "&" at byte offset {offset}; write it as &amp;')
        return _CHARACTER_REFERENCE.sub(lambda match: _referenced_character(match) or "", text)

    def _read_tag(self) -> None:
        if self._source.startswith("</", self._position):
            self._read_end_tag()
        else:
            self._read_start_tag()

    def _read_start_tag(self) -> None:
        start = self._position
        name_match = _TAG_NAME.match(self._source, start + 1)
        assert name_match is not None  # the pattern matches the empty string
        if name_match.end() >= len(self._source):
            raise self._error(f"Unclosed start tag at byte offset {self._byte_offset(start)}")
        name = name_match.group().lower()
        if name not in _TAG_ENTITY_TYPES:
            offset = self._byte_offset(start)
            raise self._error(f'Unsupported start tag "{name}" at byte offset {offset}')
        attributes = self._read_attributes(name, name_match.end(), start)
        self._check_attributes(name, attributes)
        self._open.append(_OpenTag(name, attributes, self._text_length))

    def _read_attributes(self, tag: str, position: int, tag_start: int) -> dict[str, str]:
        attributes: dict[str, str] = {}
        while True:
            while position < len(self._source) and self._source[position].isspace():
                position += 1
            if position >= len(self._source):
                offset = self._byte_offset(tag_start)
                raise self._error(f"Unclosed start tag at byte offset {offset}")
            if self._source[position] == ">":
                self._position = position + 1
                return attributes
            attribute = _ATTRIBUTE.match(self._source, position)
            if attribute is None:
                offset = self._byte_offset(position)
                raise self._error(f'Invalid attribute in tag "{tag}" at byte offset {offset}')
            group = next((index for index in (2, 3, 4) if attribute.group(index) is not None), 0)
            value, value_start = attribute.group(group), attribute.start(group)
            attributes[attribute.group(1).lower()] = (
                self._unescape(value, value_start) if group else ""
            )
            position = attribute.end()

    @classmethod
    def _check_attributes(cls, tag: str, attributes: dict[str, str]) -> None:
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise cls._error('Tag "span" must have class "tg-spoiler"')
        if tag == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
            raise cls._error('Tag "tg-emoji" must have a numeric attribute "emoji-id"')

    def _read_end_tag(self) -> None:
        start = self._position
        close = self._source.find(">", start)
        if close == -1:
            raise self._error(f"Unclosed end tag at byte offset {self._byte_offset(start)}")
        name = self._source[start + 2 : close].strip().lower()
        if not self._open:
            raise self._error(f"Unexpected end tag at byte offset {self._byte_offset(start)}")
        expected = self._open[-1].name
        if name != expected:
            offset = self._byte_offset(start)
            raise self._error(
                f'Unmatched end tag at byte offset {offset}, expected "</{expected}>", '
                f'found "</{name}>"'
            )
        self._position = close + 1
        self._close(self._open.pop())

    def _close(self, tag: _OpenTag) -> None:
        css_class = tag.attributes.get("class", "")
        in_pre = bool(self._open) and self._open[-1].name == "pre"
        if tag.name == "code" and in_pre and css_class.startswith("language-"):
            self._open[-1].language = css_class.removeprefix("language-")  # pre gets it
            return
        length = self._text_length - tag.offset
        if length > 0 and (tag.name != "a" or tag.attributes.get("href")):
            self._entities.append(_entity_for(tag, length))


def _referenced_character(reference: re.Match[str]) -> str | None:
    named, decimal, hexadecimal = reference.groups()
    if named:
        return _NAMED_CHARACTERS[named]
    code_point = int(decimal) if decimal else int(hexadecimal, 16)
    if 0 < code_point <= 0x10FFFF and not 0xD800 <= code_point <= 0xDFFF:
        return chr(code_point)
    return None


def _entity_for(tag: _OpenTag, length: int) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "type": _TAG_ENTITY_TYPES[tag.name],
        "offset": tag.offset,
        "length": length,
    }
    if tag.name == "a":
        entity["url"] = tag.attributes["href"]
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attributes["emoji-id"]
    elif tag.name == "blockquote" and "expandable" in tag.attributes:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "pre" and tag.language:
        entity["language"] = tag.language
    return entity


def parse_telegram_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """``(plain text, entities)`` as Telegram derives them, or :class:`BotApiError` 400."""
    return _HtmlParser(source).parse()


def _check_entities(entities: Any) -> list[dict[str, Any]]:
    well_formed = isinstance(entities, list) and all(
        isinstance(entity, dict)
        and isinstance(entity.get("type"), str)
        and isinstance(entity.get("offset"), int)
        and isinstance(entity.get("length"), int)
        for entity in entities
    )
    if not well_formed:
        raise bad_request("can't parse entities JSON object")
    return copy.deepcopy(entities)


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims surrounding whitespace and moves the entities with the text."""
    stripped = text.strip()
    shift = utf16_length(text[: len(text) - len(text.lstrip())])
    limit = utf16_length(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def formatted_text(params: dict[str, Any]) -> dict[str, Any]:
    """``text``/``entities`` as Telegram stores them, plus ``_html`` for assertions."""
    raw = params["text"]
    if not isinstance(raw, str):
        raise bad_request("text must be a String")
    parse_mode = params.get("parse_mode")
    if parse_mode is None:
        text, entities = raw, _check_entities(params.get("entities", []))
    elif str(parse_mode).lower() == "html":
        text, entities = parse_telegram_html(raw)
    elif str(parse_mode).lower() in ("markdown", "markdownv2"):
        raise bad_request(f"the fake does not emulate parse_mode {parse_mode}; use HTML")
    else:
        raise bad_request("unsupported parse_mode")
    text, entities = _strip(text, entities)
    if not text:
        raise bad_request("message text is empty")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise bad_request("message is too long")
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    if parse_mode is not None:
        content["_html"] = raw
    return content
