from __future__ import annotations

import numpy as np
import pytest

from nas_complexity.metrics import architecture_diversity, multi_task, total_variance_of_proportions
from nas_complexity.spaces import Categorical, FloatRange, SearchSpace, Task, get_space


def test_total_variance_by_hand():
    # shares: [1,0], [0,1], [0.5,0.5] -> per-dim variance 1/6 each -> 1/3
    value, per_dim = total_variance_of_proportions(np.array([[2, 0], [0, 3], [1, 1]]))
    assert value == pytest.approx(1 / 3)
    assert per_dim == pytest.approx([1 / 6, 1 / 6])


def test_identical_architectures_have_zero_diversity():
    assert total_variance_of_proportions(np.array([[1, 2], [2, 4], [3, 6]]))[0] == pytest.approx(0.0)


def test_nb201_diversity_matches_closed_form():
    # 6 independent uniform edges over 5 ops: Var(share of op) = p(1-p)/6 = 0.16/6 per op -> 5 * 0.16 / 6.
    space = get_space("nb201")
    div = architecture_diversity(space, space.enumerate(), "enumerated")
    assert div.value == pytest.approx(5 * 0.16 / 6, abs=1e-6)
    assert div.n_architectures == 15_625
    assert set(div.vocabulary) == {"conv1x1", "conv3x3", "avg_pool", "skip", "zero"}


def test_hand_checked_small_space():
    space = SearchSpace("two", [Categorical("a", ("conv3x3", "skip")), Categorical("b", ("conv3x3", "skip"))])
    # 4 archs: shares of conv3x3 = 1, .5, .5, 0 -> var .125; skip the same -> .25
    div = architecture_diversity(space, space.enumerate(), "enumerated")
    assert div.value == pytest.approx(0.25)


def test_hpo_space_has_no_architecture_diversity():
    space = SearchSpace("hpo", [FloatRange("lr", 1e-4, 1e-1, log=True)])
    div = architecture_diversity(space, space.sample(seed=0, n=10), "sampled")
    assert div.value is None and "building block" in div.note


def test_multi_task_counts_distinct_tasks():
    space = SearchSpace("t", [Categorical("a", ("x",))], tasks=[Task("A"), Task("B"), Task("A")])
    assert multi_task(space).n_tasks == 2
    assert multi_task(get_space("tnb101-micro")).n_tasks == 7
    assert multi_task(get_space("nb360")).n_tasks == 10
