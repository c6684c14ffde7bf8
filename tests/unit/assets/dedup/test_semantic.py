"""Semantic dedup's parts: greedy representatives, spherical k-means, config validation."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from assets.dedup.semantic import (
    greedy_duplicates,
    spherical_kmeans,
)
from assets.recipe.loader import RecipeError, parse_recipe
from tests.conftest import recipe_dict


def test_greedy_duplicates_only_kept_rows_are_representatives():
    # b is within the threshold of a and of c, a and c are not: c must stay, since its only
    # close neighbour b was itself dropped.
    angle = np.radians(20)
    a = np.array([1.0, 0.0])
    b = np.array([np.cos(angle), np.sin(angle)])
    c = np.array([np.cos(2 * angle), np.sin(2 * angle)])
    dropped, rep, sim = greedy_duplicates(np.stack([a, b, c]).astype(np.float32), 0.9)
    assert dropped.tolist() == [False, True, False]
    assert rep[1] == 0 and sim[1] == pytest.approx(np.cos(angle), abs=1e-6)


def test_spherical_kmeans_separates_directions_deterministically():
    rng = np.random.default_rng(0)
    centres = np.eye(3, dtype=np.float32)
    points = np.concatenate([c + 0.05 * rng.standard_normal((20, 3)) for c in centres])
    points = (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)
    labels = spherical_kmeans(points, 3, iterations=20, seed=1)
    assert [len(set(labels[i * 20 : (i + 1) * 20])) for i in range(3)] == [1, 1, 1]
    assert len(set(labels)) == 3
    assert np.array_equal(labels, spherical_kmeans(points, 3, iterations=20, seed=1))


def test_semantic_dedup_config_is_validated():
    recipe = recipe_dict(dedup={"semantic": {"enabled": True, "threshold": 1.5}})
    with pytest.raises(RecipeError, match=r"dedup\.semantic\.threshold"):
        parse_recipe(yaml.safe_dump(recipe), "r.yaml")
