"""One entry point that turns whatever describes a search space into a :class:`SearchSpace`."""
from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nas_complexity._errors import SpaceError, UnknownSpaceError
from nas_complexity.adapters._common import with_kind
from nas_complexity.spaces import SearchSpace, get_space, list_spaces

__all__ = ["accepted_inputs", "from_any"]


def accepted_inputs() -> str:
    """What :func:`from_any` reads, in words (every "cannot read this space" error says it).

    Example:
        >>> "a dict of Optuna distributions" in accepted_inputs()
        True
    """
    # Built when needed: spaces registered after import are listed too.
    return (
        "a nas_complexity SearchSpace; a built-in space name (" + ", ".join(list_spaces()) + "); a dict of Optuna "
        "distributions; an optuna.Study with trials; an NNI HPO search space (dict of {'_type', '_value'}) or the "
        "path of its JSON file; an NNI model space instance (nni.nas.nn.pytorch.ModelSpace or nni.mutable.Mutable)"
    )


_accepted = accepted_inputs


def _loaded(module: str) -> Any:
    # An object can only be an Optuna study or an NNI space if its framework is already imported: no import cost.
    return sys.modules.get(module)


def _is_nni_space(obj: Any) -> bool:
    """An NNI mutable or model space, or its class (which the NNI adapter then asks to instantiate)."""
    bases = tuple(
        getattr(module, attr)
        for module, attr in ((_loaded("nni.mutable"), "Mutable"), (_loaded("nni.nas.nn.pytorch"), "MutableModule"))
        if module is not None
    )
    if not bases:
        return False
    return isinstance(obj, bases) or (isinstance(obj, type) and issubclass(obj, bases))


def _looks_like_path(text: str) -> bool:
    return text.endswith(".json") or "/" in text or "\\" in text or Path(text).is_file()


def _from_mapping(obj: Mapping[Any, Any], name: str | None, truncate_sigmas: float | None) -> SearchSpace:
    if not obj:
        raise SpaceError("space", "the search space dict is empty", _accepted())
    distributions = _loaded("optuna.distributions")
    if distributions is not None and any(isinstance(v, distributions.BaseDistribution) for v in obj.values()):
        from nas_complexity.adapters._optuna import from_optuna_distributions

        return from_optuna_distributions(obj, name=name or "optuna")
    if any(isinstance(v, Mapping) and "_type" in v for v in obj.values()):
        from nas_complexity.adapters._nni_hpo import from_nni_search_space

        return from_nni_search_space(obj, name=name or "nni", truncate_sigmas=truncate_sigmas)
    key = next(iter(obj))
    raise SpaceError(
        str(key), f"value {obj[key]!r} is neither an Optuna distribution nor an NNI {{'_type', '_value'}} spec", _accepted()
    )


def from_any(
    obj: Any, name: str | None = None, *, truncate_sigmas: float | None = None, kind: str | None = None
) -> SearchSpace:
    """A :class:`SearchSpace` from any description this library reads.

    Dispatches on the type: a ``SearchSpace`` is returned as is; a string naming a built-in space gives that space,
    a string or ``Path`` to a JSON file is read as an NNI search space; a dict is read as Optuna distributions or
    as an NNI search space by its values; an ``optuna.Study`` by :func:`from_optuna_study`; an NNI model space by
    :func:`from_nni_model_space`. ``name`` renames the result where the adapter takes one; ``truncate_sigmas`` is
    passed to the NNI adapters (normal-family parameters). ``kind`` declares what the space's points are
    (``"architecture"`` or ``"hyperparameter"``); ``None`` keeps the source's own: built-in spaces and NNI model
    spaces are architecture spaces, Optuna distributions and studies and NNI HPO spaces hyperparameter spaces.

    Example:
        >>> from_any("nb201").size().total
        15625
        >>> from_any({"lr": {"_type": "uniform", "_value": [0.0, 1.0]}}).param("lr")
        FloatRange(name='lr', condition=None, low=0.0, high=1.0, step=None, log=False)
        >>> from_any({"op": {"_type": "choice", "_value": ["conv3x3", "skip"]}}, kind="architecture").kind
        'architecture'
    """
    return with_kind(_read(obj, name, truncate_sigmas), kind)


def _read(obj: Any, name: str | None, truncate_sigmas: float | None) -> SearchSpace:
    if obj is None:
        raise SpaceError("space", "no search space given", _accepted())
    if isinstance(obj, SearchSpace):
        return obj
    if isinstance(obj, str) and obj in list_spaces():
        return get_space(obj)
    if isinstance(obj, Path) or (isinstance(obj, str) and _looks_like_path(obj)):
        from nas_complexity.adapters._nni_hpo import from_nni_search_space

        return from_nni_search_space(obj, name=name or "nni", truncate_sigmas=truncate_sigmas)
    if isinstance(obj, str):
        raise UnknownSpaceError(obj, list_spaces())
    if isinstance(obj, Mapping):
        return _from_mapping(obj, name, truncate_sigmas)
    optuna = _loaded("optuna")
    if optuna is not None and isinstance(obj, optuna.Study):
        from nas_complexity.adapters._optuna import from_optuna_study

        return from_optuna_study(obj, name=name)
    if _is_nni_space(obj):
        from nas_complexity.adapters._nni_nas import from_nni_model_space

        return from_nni_model_space(obj, name=name, truncate_sigmas=truncate_sigmas)
    raise SpaceError("space", f"cannot read a search space from a {type(obj).__name__}", _accepted())
