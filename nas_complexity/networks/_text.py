"""Real English text for language-model minibatches, without downloads.

The default corpus is the Python Language Reference that ships inside CPython itself (``pydoc_data.topics``, the
text behind ``help("topic")``): about 120,000 word and punctuation tokens of English technical prose with inline
code. A user with a real language-modelling corpus (e.g. WikiText-2's ``wiki.train.tokens``) passes its path
instead. Text is tokenised like WikiText: lower-cased words, numbers and single punctuation marks.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import cached_property
from pathlib import Path

import numpy as np

from nas_complexity._errors import NASComplexityError

__all__ = ["TextCorpus", "prose_sentences", "python_reference_text", "tokenize", "UNK"]

UNK = "<unk>"
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[0-9]+|[^\sa-z0-9]")
# reST underlines and table borders ("-----", "+----+----+") are layout, not text: they would flood the vocabulary
# with "-" tokens (12% of all tokens before this filter).
_LAYOUT_LINE = re.compile(r"^\s*[-=*~^+|]{3,}[-=*~^+| ]*$", re.MULTILINE)


def python_reference_text() -> str:
    """The Python Language Reference topics bundled with the running interpreter, in a fixed (sorted) order.

    Example:
        >>> "assignment" in python_reference_text()
        True
    """
    try:
        from pydoc_data.topics import topics
    except ImportError as exc:  # some distributions strip pydoc_data; say what to do instead
        raise NASComplexityError(
            "the default text corpus is Python's bundled reference (pydoc_data.topics), which this interpreter "
            "lacks; pass text_path= a plain-text corpus file (e.g. WikiText-2's wiki.train.tokens)"
        ) from exc
    return "\n".join(topics[key] for key in sorted(topics))


def tokenize(text: str) -> list[str]:
    """WikiText-style tokens: lower-cased words (with apostrophes), digit runs and single punctuation marks.

    Example:
        >>> tokenize("The x-axis isn't 2D.")
        ['the', 'x', '-', 'axis', "isn't", '2', 'd', '.']
    """
    return _TOKEN.findall(_LAYOUT_LINE.sub(" ", text).lower())


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_PROSE = re.compile(r"[A-Za-z][A-Za-z ,']*[.!?]")


def prose_sentences(text: str, n: int, min_words: int = 8, max_words: int = 30) -> list[str]:
    """``n`` plain-prose sentences of ``text`` (letters, spaces, commas and apostrophes only; no code), evenly
    spaced through it, so the choice is deterministic and covers the whole text.

    Example:
        >>> len(prose_sentences(python_reference_text(), 5))
        5
    """
    flat = " ".join(text.split())
    found = [s for s in _SENTENCE_END.split(flat)
             if _PROSE.fullmatch(s) and min_words <= len(s.split()) <= max_words]
    if len(found) < n:
        raise NASComplexityError(f"the text has only {len(found)} plain-prose sentences, {n} requested")
    return [found[i] for i in np.linspace(0, len(found) - 1, n).round().astype(int)]


class TextCorpus:
    """A tokenised corpus with a frequency-ranked vocabulary and seeded windows of token ids.

    ``path=None`` uses :func:`python_reference_text`. The vocabulary keeps the ``max_vocab - 1`` most frequent
    tokens (ties broken alphabetically, so it is deterministic) plus ``<unk>`` at id 0 for the rest.

    Example:
        >>> corpus = TextCorpus(max_vocab=500)
        >>> corpus.windows(batch_size=2, seq_len=8, seed=0).shape
        (2, 8)
    """

    def __init__(self, path: str | Path | None = None, max_vocab: int = 4096) -> None:
        self.path = None if path is None else Path(path)
        self.max_vocab = max_vocab

    @property
    def description(self) -> str:
        if self.path is None:
            import sys

            version = f"{sys.version_info.major}.{sys.version_info.minor}"
            source = f"the Python {version} Language Reference text bundled with CPython (pydoc_data.topics)"
        else:
            source = f"the text file {self.path}"
        return (
            f"{source}, {len(self.ids):,} WikiText-style tokens (lower-cased words, numbers, punctuation), "
            f"vocabulary {len(self.vocabulary):,} (the most frequent, rest <unk>)"
        )

    @cached_property
    def tokens(self) -> list[str]:
        if self.path is None:
            text = python_reference_text()
        else:
            if not self.path.is_file():
                raise NASComplexityError(f"text corpus {self.path} is not a file; pass a plain-text file path")
            text = self.path.read_text(encoding="utf-8", errors="replace")
        tokens = tokenize(text)
        if len(tokens) < 2:
            raise NASComplexityError(f"text corpus {self.path or 'pydoc_data.topics'} has fewer than 2 tokens")
        return tokens

    @cached_property
    def vocabulary(self) -> list[str]:
        """Token strings by id: ``<unk>`` first, then by decreasing frequency."""
        if self.max_vocab < 2:
            raise NASComplexityError(f"max_vocab must be at least 2 (<unk> and one token), got {self.max_vocab}")
        counts = Counter(self.tokens)
        ranked = sorted(counts, key=lambda tok: (-counts[tok], tok))
        return [UNK] + ranked[: self.max_vocab - 1]

    @cached_property
    def ids(self) -> np.ndarray:
        index = {tok: i for i, tok in enumerate(self.vocabulary)}
        return np.fromiter((index.get(tok, 0) for tok in self.tokens), dtype=np.int64, count=len(self.tokens))

    def windows(self, batch_size: int, seq_len: int, seed: int | np.random.Generator = 0) -> np.ndarray:
        """``batch_size`` windows of ``seq_len`` consecutive token ids at seeded random offsets, ``[batch, seq]``."""
        if batch_size < 1 or seq_len < 1:
            raise NASComplexityError(f"batch_size and seq_len must be positive, got {batch_size} and {seq_len}")
        ids = self.ids
        if seq_len > len(ids):
            raise NASComplexityError(f"seq_len {seq_len} exceeds the corpus length of {len(ids)} tokens")
        rng = np.random.default_rng(seed)
        starts = rng.integers(0, len(ids) - seq_len + 1, size=batch_size)
        return np.stack([ids[s : s + seq_len] for s in starts])
