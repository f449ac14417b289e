"""Turn what users already have into a :class:`~nas_complexity.spaces.SearchSpace`.

* Optuna: a dict of distributions (:func:`from_optuna_distributions`) or an existing study, whose trials also show
  which parameters are conditional (:func:`from_optuna_study`; :func:`space_from_trials` for trials recorded
  elsewhere).
* NNI HPO: ``experiment.config.search_space`` or its JSON file, every documented ``_type`` and nested choices
  (:func:`from_nni_search_space`).
* NNI NAS: model spaces such as ``nni.nas.hub.pytorch.NasBench201()`` or ``ProxylessNAS()``, with the conditions
  their ``Repeat`` depths and ``LayerChoice`` candidates imply (:func:`from_nni_model_space`).
* :func:`from_any` dispatches on the type.

Optuna and NNI are imported only when one of their objects is converted.

Example:
    >>> from nas_complexity.adapters import from_any
    >>> from_any({"batch": {"_type": "choice", "_value": [32, 64]}}).size().total
    2
"""
from __future__ import annotations

from nas_complexity.adapters._dispatch import accepted_inputs, from_any
from nas_complexity.adapters._nni_hpo import NNI_TYPES, from_nni_search_space
from nas_complexity.adapters._nni_nas import NB201_OP_NAMES, from_nni_model_space
from nas_complexity.adapters._optuna import from_optuna_distributions, from_optuna_study, space_from_trials

__all__ = [
    "NB201_OP_NAMES",
    "NNI_TYPES",
    "accepted_inputs",
    "from_any",
    "from_nni_model_space",
    "from_nni_search_space",
    "from_optuna_distributions",
    "from_optuna_study",
    "space_from_trials",
]
