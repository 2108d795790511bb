"""English and Chinese text, side by side.

Each module keeps its own small ``Catalog`` next to the code that uses it::

    _ = Catalog({"lapsed": {"en": "{days} days since last contact", "zh": "已 {days} 天未联系"}})
    _("lapsed", "zh", days=20)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGS = ("en", "zh")


class Catalog:
    def __init__(self, texts: Mapping[str, Mapping[str, str]]) -> None:
        for key, forms in texts.items():
            missing = [lang for lang in LANGS if lang not in forms]
            if missing:
                raise ValueError(f"text {key!r} lacks {missing}")
        self._texts = dict(texts)

    def __call__(self, key: str, lang: str, /, **params: Any) -> str:
        forms = self._texts[key]
        template = forms.get(lang) or forms["en"]
        return template.format(**params) if params else template

    def __contains__(self, key: str) -> bool:
        return key in self._texts


def pick(lang: str, en: str, zh: str) -> str:
    """The one-off choice between two words, for where a catalog entry would be noise."""
    return zh if lang == "zh" else en
