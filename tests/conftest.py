"""Shared fixtures: small problems that make every identity checkable in milliseconds."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # headless plots in tests

import numpy as np
import pytest

import dlinv


@pytest.fixture(scope="session")
def small():
    """d=12, m=8, s=3 with N=40 generic (non-whitened) training samples."""
    P = dlinv.random_problem(12, 8, 3, seed=0)
    return P, dlinv.make_training_data(P, 40, seed=1)


@pytest.fixture(scope="session")
def small_white():
    """The same problem with exactly whitened latent codes (Z Z^T / N = I_s)."""
    P = dlinv.random_problem(12, 8, 3, seed=0)
    return P, dlinv.make_training_data(P, 40, seed=1, whiten=True)


def rel(a, b):
    """Relative Frobenius error ||a - b|| / max(||b||, tiny)."""
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), 1e-300))
