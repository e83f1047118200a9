import numpy as np

from models.numerics import log_softmax, softmax


def test_softmax_sums_to_one_along_the_chosen_axis_and_survives_huge_logits():
    z = np.array([[1000.0, 1001.0, 999.0], [-5.0, 0.0, 5.0]])
    np.testing.assert_allclose(softmax(z, axis=1).sum(1), 1.0)
    np.testing.assert_allclose(softmax(z.T, axis=0), softmax(z, axis=1).T)
    assert np.all(np.isfinite(log_softmax(z, axis=1)))


def test_log_softmax_is_the_log_of_softmax_and_keeps_the_asked_dtype():
    z = np.random.default_rng(0).normal(size=(4, 7)) * 10
    np.testing.assert_allclose(np.exp(log_softmax(z)), softmax(z), rtol=1e-12)
    assert log_softmax(z, dtype=np.float32).dtype == np.float32 and softmax(z).dtype == np.float64
    # shifting every logit by the same amount changes nothing
    np.testing.assert_allclose(log_softmax(z + 123.0), log_softmax(z), atol=1e-9)
