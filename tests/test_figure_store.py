"""Figures drawn once: a plan saved again with the same values is served from the cache folder, any change draws."""
import numpy as np
import pytest
import torch

from lib.framework import cache_limit, plots
from lib.framework.figure_store import plan_key
from lib.framework.memo import value_digest

X = np.linspace(0, 1, 50)


@pytest.fixture
def draws(monkeypatch) -> list:
    """Each figure rendered to PNG, recorded."""
    calls, render = [], plots.render
    monkeypatch.setattr(plots, "render", lambda figure: calls.append(1) or render(figure))
    return calls


def test_a_figure_is_drawn_once_then_served_with_the_same_bytes(tmp_path, draws):
    store, plan = tmp_path / "cache", plots.functions(X, {"square": X ** 2}, "title")
    first = plots.save_figure(plan, tmp_path / "a.png", store).read_bytes()
    again = plots.save_figure(plots.functions(X, {"square": X ** 2}, "title"), tmp_path / "b.png", store).read_bytes()
    assert len(draws) == 1 and first == again and first.startswith(b"\x89PNG")
    assert cache_limit.size_per_kind(store)["figure"][0] == 1  # counted, and pruned, with the experiments


@pytest.mark.parametrize("changed", [
    lambda: plots.functions(X, {"square": X ** 2 + 1e-12}, "title"),  # one value
    lambda: plots.functions(X, {"square": X ** 2}, "another title"),  # a label
    lambda: plots.curves({"square": np.stack([X ** 2])}, "x", "y", "title"),  # another builder
])
def test_any_change_to_what_a_figure_shows_draws_it_again(tmp_path, draws, changed):
    plots.save_figure(plots.functions(X, {"square": X ** 2}, "title"), tmp_path / "a.png", tmp_path / "cache")
    plots.save_figure(changed(), tmp_path / "b.png", tmp_path / "cache")
    assert len(draws) == 2


def test_without_a_cache_folder_or_a_hashable_value_every_save_draws(tmp_path, draws):
    for _ in range(2):
        plots.save_figure(plots.functions(X, {"square": X ** 2}, "title"), tmp_path / "a.png")
    assert plan_key(plots.functions(X, {"square": X ** 2}, object())) is None  # drawn, never stored
    assert len(draws) == 2 and not (tmp_path / "cache").exists()


def test_a_figure_still_saves_as_it_is(tmp_path):
    figure = plots.functions.draw(X, {"square": X ** 2}, "title")
    assert plots.save_figure(figure, tmp_path / "a.png").read_bytes().startswith(b"\x89PNG")


def test_the_digest_reads_values_their_order_and_types():
    values = {"a": np.arange(3.0), "b": (1, "x")}
    assert value_digest(values) == value_digest({"a": np.arange(3.0), "b": (1, "x")})
    assert value_digest(values) == value_digest({"a": torch.arange(3.0, dtype=torch.float64), "b": (1, "x")})
    assert value_digest(values) != value_digest({"b": (1, "x"), "a": np.arange(3.0)})  # the legend's order
    assert value_digest(np.arange(3.0)) != value_digest(np.arange(3))  # float and int arrays
    assert value_digest(np.zeros((2, 3))) != value_digest(np.zeros((3, 2)))
    assert value_digest([1]) != value_digest((1,)) and value_digest(1) != value_digest(1.0)
    with pytest.raises(TypeError):
        value_digest(np.array([object()]))
