"""What the fake chat APIs check of an uploaded chart: a PNG that decodes, its size."""

from __future__ import annotations

import io

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_CHART_BYTES = 200 * 1024


def decode_png(data: bytes) -> tuple[int, int]:
    """The picture's (width, height); ValueError when ``data`` is not a whole PNG."""
    from PIL import Image, UnidentifiedImageError

    if not data.startswith(PNG_MAGIC):
        raise ValueError("not a PNG (no PNG signature)")
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.format != "PNG":
                raise ValueError(f"not a PNG but {picture.format}")
            picture.load()  # decodes every pixel: a cut or corrupt file fails here
            return picture.size
    except (OSError, UnidentifiedImageError, SyntaxError) as exc:
        raise ValueError(f"the PNG does not decode: {exc}") from exc
