import numpy as np
import pytest

from core.errors import BadParameterError
from models import encoding
from models.encoding import (
    SoftEncoder,
    annealed_mean,
    empirical_prior,
    rebalance_weights,
    smooth_prior,
    soft_encode,
)


def test_soft_encoding_rows_sum_to_one_on_five_nearest_bins(centres):
    ab = np.random.default_rng(0).normal(0, 40, (500, 2)).astype(np.float32)
    soft = soft_encode(ab, centres)
    np.testing.assert_allclose(soft.sum(1), 1.0, atol=1e-5)
    assert ((soft > 0).sum(1) == 5).all()
    nearest = ((ab[:, None] - centres[None]) ** 2).sum(-1).argmin(1)
    assert (soft.argmax(1) == nearest).all()


def test_soft_encoding_of_a_bin_centre_peaks_there(centres):
    soft = soft_encode(centres[:10], centres)
    assert (soft.argmax(1) == np.arange(10)).all()


def test_lookup_encoder_agrees_with_exact_encoding(centres):
    ab = np.random.default_rng(2).integers(-100, 100, (2000, 2)).astype(np.float32)
    fast = SoftEncoder(centres)(ab)
    np.testing.assert_allclose(fast, soft_encode(ab, centres), atol=1e-5)


def test_prior_and_weights_follow_the_paper(centres):
    ab = np.concatenate([np.zeros((900, 2)), np.full((100, 2), 40.0)]).astype(np.float32)
    prior = empirical_prior(ab, centres)
    assert prior.sum() == pytest.approx(1.0)
    assert prior.max() == pytest.approx(0.9)
    smoothed = smooth_prior(prior, centres)
    assert smoothed.sum() == pytest.approx(1.0)
    w = rebalance_weights(smoothed, 0.5)
    assert (smoothed * w).sum() == pytest.approx(1.0, rel=1e-5)
    common, rare = np.argmax(prior), int(np.argmin(smoothed))
    assert w[rare] > w[common]
    flat = rebalance_weights(smoothed, 1.0)
    np.testing.assert_allclose(flat, 1.0, rtol=1e-5)
    with pytest.raises(BadParameterError):
        rebalance_weights(smoothed, 1.5)


def test_annealed_mean_spans_mode_to_mean(centres):
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 2, (7, len(centres))).astype(np.float32)
    logits[np.arange(7), logits.argmax(1)] += 1.0  # a clear winner, so T = 0.01 is decisive
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    mean = annealed_mean(logits, centres, 1.0)
    np.testing.assert_allclose(mean, p @ centres, atol=1e-3)
    mode = annealed_mean(logits, centres, 0.0)
    np.testing.assert_array_equal(mode, centres[logits.argmax(1)])
    near_zero = annealed_mean(logits, centres, 0.01)
    np.testing.assert_allclose(near_zero, mode, atol=1e-2)
    # Lower temperature moves the estimate towards the mode, away from the mean.
    mid = annealed_mean(logits, centres, 0.38)
    assert (np.linalg.norm(mid - mode, axis=1) <= np.linalg.norm(mean - mode, axis=1) + 1e-4).all()


@pytest.mark.parametrize("t", [-0.1, 11.0, float("nan"), float("inf")])
def test_decoding_rejects_temperatures_out_of_range(centres, t):
    with pytest.raises(BadParameterError):
        annealed_mean(np.zeros((1, len(centres))), centres, t)


def test_nearest_bin_in_chunks_matches_one_full_distance_matrix(centres, monkeypatch):
    ab = np.random.default_rng(3).uniform(-100, 100, (1000, 2)).astype(np.float32)
    whole = ((ab[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
    monkeypatch.setattr(encoding, "NEAREST_CHUNK", 96)  # 1000 rows: ten full chunks and a short one
    np.testing.assert_array_equal(encoding.nearest_bin(ab, centres), whole)
