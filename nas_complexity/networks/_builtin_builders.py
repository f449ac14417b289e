"""Lazy registrations of the built-in spaces' network builders (``space name -> module:factory``)."""
from __future__ import annotations

from nas_complexity.networks._registry import register_builder

# Vision spaces (cells and MBConv stacks).
for _name, _target in {
    "nb201": "nas_complexity.networks._nb201:NB201Builder",
    "nb360": "nas_complexity.networks._nb360:NB360Builder",
    "tnb101-micro": "nas_complexity.networks._nb201:TNBMicroBuilder",
    "tnb101-macro": "nas_complexity.networks._tnb_macro:TNBMacroBuilder",
    "nb101": "nas_complexity.networks._nb101:NB101Builder",
    "darts": "nas_complexity.networks._darts:DartsBuilder",
    "proxylessnas": "nas_complexity.networks._mbconv:ProxylessBuilder",
    "mbconv-macro": "nas_complexity.networks._mbconv:MacroBuilder",
    # Sequence spaces.
    "nbnlp": "nas_complexity.networks._nlp:NLPBuilder",
    "nbasr": "nas_complexity.networks._asr:ASRBuilder",
}.items():
    register_builder(_name, _target)
