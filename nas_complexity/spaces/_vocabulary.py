"""The fixed vocabulary of building blocks used to encode architectures as count vectors.

The vocabulary follows the block types found in public PyTorch model zoos (convolutions by kernel size,
depthwise-separable and dilated convolutions, pooling, identity, zero, attention, feed-forward, PvT and
residual blocks, MBConv by expansion and kernel, recurrent-cell operations, 1-D convolutions for speech). It is
fixed so that count vectors of different spaces live in one coordinate system and can be compared.

Operation names used by the benchmarks and by NNI/Optuna users (``nor_conv_3x3``, ``sep_conv_5x5``,
``skip_connect``, ``MB6_K5``, ``mbconv_e3_k7``...) are mapped onto the vocabulary by :func:`block_of`.
"""
from __future__ import annotations

import functools
import re

__all__ = ["VOCABULARY", "block_of"]

_MBCONV = [f"mbconv_e{e}_k{k}" for e in (1, 3, 4, 6) for k in (3, 5, 7)]

VOCABULARY: tuple[str, ...] = (
    "conv1x1",
    "conv3x3",
    "conv5x5",
    "conv7x7",
    "dil_conv3x3",
    "dil_conv5x5",
    "sep_conv3x3",
    "sep_conv5x5",
    "sep_conv7x7",
    "dw_conv3x3",
    "dw_conv5x5",
    "conv1d_k5",
    "conv1d_k7",
    "dil_conv1d_k5",
    "dil_conv1d_k7",
    "avg_pool",
    "max_pool",
    "skip",
    "zero",
    "linear",
    "attention",
    "ffn",
    "pvt_block",
    "residual_block",
    "downsample",
    "widen",
    "se_block",
    *_MBCONV,
    "rnn_linear",
    "rnn_blend",
    "rnn_prod",
    "rnn_sum",
    "act_tanh",
    "act_sigmoid",
    "act_relu",
    "act_leaky_relu",
)

_INDEX = {name: i for i, name in enumerate(VOCABULARY)}

# Exact aliases first (lower-case); regular expressions below handle the families.
_ALIASES: dict[str, str] = {
    "none": "zero",
    "zero": "zero",
    "null": "zero",
    "skip_connect": "skip",
    "skip": "skip",
    "identity": "skip",
    "id": "skip",
    "skipconnect": "skip",
    "avg_pool_3x3": "avg_pool",
    "avgpool": "avg_pool",
    "avg_pool": "avg_pool",
    "max_pool_3x3": "max_pool",
    "maxpool3x3": "max_pool",
    "maxpool": "max_pool",
    "max_pool": "max_pool",
    "linear": "linear",
    "fc": "linear",
    "dense": "linear",
    "attention": "attention",
    "self_attention": "attention",
    "mhsa": "attention",
    "ffn": "ffn",
    "mlp": "ffn",
    "feedforward": "ffn",
    "pvt": "pvt_block",
    "pvt_block": "pvt_block",
    "residual": "residual_block",
    "resblock": "residual_block",
    "basic_block": "residual_block",
    "bottleneck": "residual_block",
    "se": "se_block",
    "blend": "rnn_blend",
    "elementwise_prod": "rnn_prod",
    "elementwise_sum": "rnn_sum",
    "activation_tanh": "act_tanh",
    "activation_sigm": "act_sigmoid",
    "activation_leaky_relu": "act_leaky_relu",
    "tanh": "act_tanh",
    "sigmoid": "act_sigmoid",
    "relu": "act_relu",
    "leaky_relu": "act_leaky_relu",
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?:mbconv|mb|mobile_?inverted)_?e?(\d)_?k(\d)$"), "mbconv_e{0}_k{1}"),
    (re.compile(r"^mb(\d)_k(\d)$"), "mbconv_e{0}_k{1}"),
    (re.compile(r"^k(\d)_?e(\d)$"), "mbconv_e{1}_k{0}"),
    (re.compile(r"^dil(?:ated)?_conv1d_?k?(\d)(?:_?d\d)?$"), "dil_conv1d_k{0}"),
    (re.compile(r"^conv1d_?k?(\d)$"), "conv1d_k{0}"),
    (re.compile(r"^conv(\d)d\d$"), "dil_conv1d_k{0}"),  # NAS-Bench-ASR: conv5d2 = kernel 5, dilation 2
    (re.compile(r"^conv(\d)$"), "conv1d_k{0}"),  # NAS-Bench-ASR: conv5, conv7 are 1-D
    (re.compile(r"^dil(?:ated)?_conv_?(\d)x\d$"), "dil_conv{0}x{0}"),
    (re.compile(r"^sep(?:arable)?_conv_?(\d)x\d$"), "sep_conv{0}x{0}"),
    (re.compile(r"^(?:dw|depthwise)_conv_?(\d)x\d$"), "dw_conv{0}x{0}"),
    (re.compile(r"^(?:nor_)?conv_?(\d)x\d(?:[-_]bn[-_]relu)?$"), "conv{0}x{0}"),
    (re.compile(r"^(?:avg|average)_?pool(?:ing)?_?\dx\d$"), "avg_pool"),
    (re.compile(r"^max_?pool(?:ing)?_?\dx\d$"), "max_pool"),
]


def block_of(op: object) -> str | None:
    """Map an operation name to its vocabulary block, or ``None`` when it is not an architectural block.

    Example:
        >>> block_of("nor_conv_3x3"), block_of("sep_conv_5x5"), block_of("MB6_K5"), block_of("lr")
        ('conv3x3', 'sep_conv5x5', 'mbconv_e6_k5', None)
    """
    if not isinstance(op, str):
        return None
    return _block_of_name(op)


@functools.lru_cache(maxsize=8192)
def _block_of_name(op: str) -> str | None:
    # Cached: profiles map the same few operation names hundreds of thousands of times.
    key = op.strip().lower().replace("-", "_")
    if key in _ALIASES:
        return _ALIASES[key]
    if key in _INDEX:
        return key
    for pattern, template in _PATTERNS:
        match = pattern.match(key)
        if match:
            token = template.format(*match.groups())
            return token if token in _INDEX else None
    return None


def vocabulary_index(token: str) -> int:
    """Position of ``token`` in :data:`VOCABULARY` (raises ``KeyError`` for unknown tokens)."""
    return _INDEX[token]
