"""What users send besides text (photos, image files, a Mini App's data) and the files the bot
downloads: ``getFile`` hands out a path, and both front ends serve the download behind it.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from tests.fakes.telegram.html import utf16_length
from tests.fakes.telegram.spec import bad_request
from tests.fakes.telegram.users import UserActions

#: "For the moment, bots can download files of up to 20MB in size" (getFile).
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
THUMBNAIL_SIDE = 90


class MediaActions(UserActions):
    """Photos, documents and Mini App data from users; getFile and downloads for the bot."""

    def user_photo(
        self,
        user_id: int,
        *,
        image: bytes | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        chat_type: str | None = None,
        queue: bool = True,
    ) -> dict[str, Any]:
        """A photo; with ``image`` (an encoded picture) the bot can download it with getFile.

        Like Telegram, the message lists the sizes smallest first: a thumbnail, then ``image``.
        """
        file_id = f"photo-{next(self._file_ids)}"
        if image is None:
            photo = [
                {"file_id": f"{file_id}-{size}", "file_unique_id": f"unique-{file_id}-{size}"}
                | {"width": size, "height": size}
                for size in (THUMBNAIL_SIDE, 800)
            ]
        else:
            photo = [
                self._photo_size(f"{file_id}-thumbnail", _thumbnail(image)),
                self._photo_size(f"{file_id}-full", image),
            ]
        content = {"photo": photo} | _caption(caption)
        return self._user_message(user_id, "en", chat_id, chat_type, content, queue)

    def user_document(
        self,
        user_id: int,
        content: bytes,
        *,
        mime_type: str,
        file_name: str = "file",
        caption: str | None = None,
        chat_id: int | None = None,
        queue: bool = True,
    ) -> dict[str, Any]:
        """A file sent as a file (not as a photo), downloadable with getFile."""
        document = self._stored_file(f"document-{next(self._file_ids)}", content)
        document |= {"file_name": file_name, "mime_type": mime_type}
        message = {"document": document} | _caption(caption)
        return self._user_message(user_id, "en", chat_id, None, message, queue)

    def user_web_app_data(
        self,
        user_id: int,
        data: str,
        *,
        button_text: str = "📷 Scan",
        chat_id: int | None = None,
        queue: bool = True,
    ) -> dict[str, Any]:
        """What a Mini App opened from a keyboard button sent with ``Telegram.WebApp.sendData``."""
        content = {"web_app_data": {"data": data, "button_text": button_text}}
        return self._user_message(user_id, "en", chat_id, None, content, queue)

    def file_content(self, token: str, file_path: str) -> bytes | None:
        """A download: the content behind a ``file_path`` that getFile handed out, else None."""
        file_id = self._file_paths.get(file_path)
        return self._files[file_id] if token == self._token and file_id else None

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params["file_id"]
        content = self._files.get(file_id) if isinstance(file_id, str) else None
        if content is None:
            raise bad_request("invalid file_id")
        if len(content) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        file_path = f"files/file_{len(self._file_paths)}"
        self._file_paths[file_path] = file_id
        return self._file_object(file_id) | {"file_path": file_path}

    def _stored_file(self, file_id: str, content: bytes) -> dict[str, Any]:
        """Keep ``content`` for getFile and downloads; the fields every file object has."""
        self._files[file_id] = content
        return self._file_object(file_id)

    def _file_object(self, file_id: str) -> dict[str, Any]:
        size = len(self._files[file_id])
        return {"file_id": file_id, "file_unique_id": f"unique-{file_id}", "file_size": size}

    def _photo_size(self, file_id: str, image: bytes) -> dict[str, Any]:
        with Image.open(io.BytesIO(image)) as opened:
            width, height = opened.size
        return self._stored_file(file_id, image) | {"width": width, "height": height}


def _caption(caption: str | None) -> dict[str, Any]:
    """A media message's caption; a leading ``/command`` gets its bot_command entity."""
    if caption is None:
        return {}
    content: dict[str, Any] = {"caption": caption}
    if caption.startswith("/"):
        length = utf16_length(caption.split(maxsplit=1)[0])
        content["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return content


def _thumbnail(image: bytes) -> bytes:
    """The smallest size Telegram lists for a photo, as a JPEG."""
    with Image.open(io.BytesIO(image)) as opened:
        small = opened.convert("RGB")
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    out = io.BytesIO()
    small.save(out, "JPEG")
    return out.getvalue()
