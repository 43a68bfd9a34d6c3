"""The inverse problem ``y = A x`` with signals in a hidden subspace, and its data (Chapter 1).

Notation (book, Appendix "Notation"): ``A`` is ``m x d`` with ``s < m < d``; ``R`` is ``d x s``
with orthonormal columns spanning the latent subspace ``S``; signals are ``x = R z``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import _validate as V

#: relative tolerance for "R has orthonormal columns"
ORTHONORMAL_TOL = 1e-10
#: smallest admissible sigma_min(AR) / sigma_max(AR); below it the subspace is not identifiable
IDENTIFIABLE_TOL = 1e-10


@dataclass(frozen=True, eq=False)
class InverseProblem:
    """A linear inverse problem with a latent subspace.

    Parameters
    ----------
    A : (m, d) array
        Forward operator, ``s < m < d``.
    R : (d, s) array
        Orthonormal basis of the latent subspace ``S``. ``rank(A R) = s`` is required
        (identifiability, book Theorem ``thm-identifiable``).
    """

    A: np.ndarray
    R: np.ndarray

    def __post_init__(self):
        A = V.matrix(self.A, "A")
        m, d = A.shape
        R = V.matrix(self.R, "R", shape=(d, None))
        s = R.shape[1]
        if not s < m < d:
            raise ValueError(
                f"the model needs s < m < d (fewer measurements than unknowns, a subspace "
                f"smaller than the measurements), got s={s}, m={m}, d={d}"
            )
        if np.linalg.norm(R.T @ R - np.eye(s)) > ORTHONORMAL_TOL * np.sqrt(s) * 10:
            raise ValueError(
                "R must have orthonormal columns (R.T @ R = I); orthonormalize it, "
                "e.g. R = numpy.linalg.qr(R)[0]"
            )
        sv = np.linalg.svd(A @ R, compute_uv=False)
        if sv[-1] <= IDENTIFIABLE_TOL * sv[0] or sv[0] == 0:
            ratio = sv[-1] / sv[0] if sv[0] > 0 else 0.0
            raise ValueError(
                f"A R has rank < s (sigma_min/sigma_max = {ratio:.2e}): signals in S are "
                "not identifiable from their measurements; choose another A or subspace"
            )
        object.__setattr__(self, "A", V.readonly(A))
        object.__setattr__(self, "R", V.readonly(R))

    # ---- sizes -------------------------------------------------------------------------
    @property
    def d(self) -> int:
        """Signal dimension."""
        return self.A.shape[1]

    @property
    def m(self) -> int:
        """Number of measurements."""
        return self.A.shape[0]

    @property
    def s(self) -> int:
        """Dimension of the latent subspace."""
        return self.R.shape[1]

    # ---- the measured subspace A S -------------------------------------------------------
    @cached_property
    def _svd_AR(self):
        U, sig, Vt = np.linalg.svd(self.A @ self.R, full_matrices=False)
        for a in (U, sig, Vt):
            a.flags.writeable = False
        return U, sig, Vt

    @property
    def AR(self) -> np.ndarray:
        """The measurement ``A R`` of the subspace basis (``m x s``)."""
        U, sig, Vt = self._svd_AR
        return (U * sig) @ Vt

    @property
    def U(self) -> np.ndarray:
        """Orthonormal basis of ``range(A R) = A S`` (``m x s``), left singular vectors of
        ``A R``."""
        return self._svd_AR[0]

    @property
    def singular_values(self) -> np.ndarray:
        """Singular values ``sigma_1 >= ... >= sigma_s > 0`` of ``A R``."""
        return self._svd_AR[1]

    @property
    def V(self) -> np.ndarray:
        """Right singular vectors of ``A R`` (``s x s``, columns), so
        ``A R = U diag(sigma) V^T``."""
        return self._svd_AR[2].T

    @cached_property
    def P_signal(self) -> np.ndarray:
        """Orthogonal projector onto ``A S = range(A R)`` (``m x m``), eq. ``eq-projectors``."""
        return V.readonly(self.U @ self.U.T)

    @cached_property
    def P_perp(self) -> np.ndarray:
        """Orthogonal projector onto ``(A S)^perp`` (``m x m``), ``I - P_signal``."""
        return V.readonly(np.eye(self.m) - self.P_signal)

    def project_perp(self, M: np.ndarray) -> np.ndarray:
        """``M P_perp`` computed as ``M - (M U) U^T`` (accurate when ``M P_perp`` is tiny)."""
        return M - (M @ self.U) @ self.U.T

    # ---- solution maps -------------------------------------------------------------------
    @cached_property
    def oracle(self) -> np.ndarray:
        """The oracle ``W* = R (A R)^+`` (``d x m``), eq. ``eq-oracle``."""
        U, sig, Vt = self._svd_AR
        return V.readonly(self.R @ (Vt.T / sig) @ U.T)

    @cached_property
    def pinv(self) -> np.ndarray:
        """The pseudo-inverse ``A^+ = A^T (A A^T)^{-1}`` (``d x m``), eq. ``eq-minnorm``."""
        return V.readonly(np.linalg.pinv(self.A))

    def __repr__(self) -> str:
        return f"InverseProblem(d={self.d}, m={self.m}, s={self.s})"


def random_problem(d: int, m: int, s: int, *, seed) -> InverseProblem:
    """A Gaussian forward operator (entries ``N(0, 1/m)``) and a uniformly random subspace.

    ``R`` is the Q factor of a ``d x s`` Gaussian matrix (Haar-distributed subspace).
    """
    d = V.positive_int(d, "d")
    m = V.positive_int(m, "m")
    s = V.positive_int(s, "s")
    if not s < m < d:
        raise ValueError(f"the model needs s < m < d, got s={s}, m={m}, d={d}")
    g = V.rng(seed)
    A = g.standard_normal((m, d)) / np.sqrt(m)
    R = _haar_basis(g, d, s)
    return InverseProblem(A, R)


def problem_from_operator(A, s: int, *, seed) -> InverseProblem:
    """A given forward operator ``A`` with a uniformly random ``s``-dimensional subspace."""
    A = V.matrix(A, "A")
    s = V.positive_int(s, "s")
    return InverseProblem(A, _haar_basis(V.rng(seed), A.shape[1], s))


def _haar_basis(g: np.random.Generator, d: int, s: int) -> np.ndarray:
    Q, T = np.linalg.qr(g.standard_normal((d, s)))
    return Q * np.sign(np.diag(T))  # sign fix makes the distribution exactly Haar


# ---- data -----------------------------------------------------------------------------------
def sample_latent(s: int, n: int, *, seed, whiten: bool = False) -> np.ndarray:
    """Latent codes ``Z`` (``s x n``) with i.i.d. ``N(0, 1)`` entries.

    With ``whiten=True`` the codes are exactly whitened, ``Z Z^T / n = I_s`` (needs ``n >= s``),
    which makes the closed forms of Chapter 4 hold exactly (eq. ``eq-whitened``).
    """
    s = V.positive_int(s, "s")
    n = V.positive_int(n, "n")
    if not isinstance(whiten, (bool, np.bool_)):
        raise ValueError(f"whiten must be True or False, got {whiten!r}")
    Z = V.rng(seed).standard_normal((s, n))
    if whiten:
        if n < s:
            raise ValueError(f"whitened codes need n >= s samples, got n={n} < s={s}")
        Q, T = np.linalg.qr(Z.T)  # Z^T = Q T, Q^T Q = I_s
        Z = np.sqrt(n) * (Q * np.sign(np.diag(T))).T
    return Z


@dataclass(frozen=True, eq=False)
class TrainingData:
    """Training pairs ``(y_i, x_i)``, stacked as columns of ``Y`` (``m x N``) and ``X`` (``d x N``).

    Gradient descent only needs the second moments ``Syy = Y Y^T / N`` and
    ``Sxy = X Y^T / N`` (eq. ``eq-moments``), computed once here.
    """

    X: np.ndarray
    Y: np.ndarray

    def __post_init__(self):
        X = V.matrix(self.X, "X")
        Y = V.matrix(self.Y, "Y", shape=(None, X.shape[1]))
        object.__setattr__(self, "X", V.readonly(X))
        object.__setattr__(self, "Y", V.readonly(Y))

    @property
    def n(self) -> int:
        return self.X.shape[1]

    @cached_property
    def Syy(self) -> np.ndarray:
        """``Y Y^T / N`` (``m x m``)."""
        return V.readonly(self.Y @ self.Y.T / self.n)

    @cached_property
    def Sxy(self) -> np.ndarray:
        """``X Y^T / N`` (``d x m``)."""
        return V.readonly(self.X @ self.Y.T / self.n)

    @cached_property
    def _fit_factor(self):
        # [Y; X]^T / sqrt(N) = Q T: then ||W Y - X||_F^2 / N = ||T_Y W^T - T_X||_F^2, exactly and
        # without the cancellation of the expanded trace formula.
        T = np.linalg.qr(np.vstack([self.Y, self.X]).T / np.sqrt(self.n), mode="r")
        m = self.Y.shape[0]
        return V.readonly(T[:, :m]), V.readonly(T[:, m:])

    def fit(self, W: np.ndarray) -> float:
        """Data-fit term ``(1/2N) ||W Y - X||_F^2`` of a ``d x m`` map ``W`` (eq. ``eq-risk``)."""
        TY, TX = self._fit_factor
        W = V.matrix(W, "W", shape=(self.X.shape[0], self.Y.shape[0]))
        return 0.5 * float(np.sum((TY @ W.T - TX) ** 2))


def check_problem_data(problem: InverseProblem, data: TrainingData) -> None:
    """Raise ``ValueError`` unless ``problem`` and ``data`` have the right types and matching
    sizes."""
    if not isinstance(problem, InverseProblem):
        raise ValueError(f"problem must be an InverseProblem, got {type(problem).__name__}")
    if not isinstance(data, TrainingData):
        raise ValueError(f"data must be a TrainingData, got {type(data).__name__}")
    if data.X.shape[0] != problem.d or data.Y.shape[0] != problem.m:
        raise ValueError(
            f"data has X of shape {data.X.shape} and Y of shape {data.Y.shape}, "
            f"but the problem has d={problem.d}, m={problem.m}"
        )


def make_training_data(
    problem: InverseProblem, n: int, *, seed, whiten: bool = False
) -> TrainingData:
    """Noiseless training data ``X = R Z``, ``Y = A X`` with ``n`` samples (eq. ``eq-data``)."""
    Z = sample_latent(problem.s, n, seed=seed, whiten=whiten)
    X = problem.R @ Z
    return TrainingData(X, problem.A @ X)


def noisy_measurements(problem: InverseProblem, X, noise: float, *, seed) -> np.ndarray:
    """Measurements ``A X + noise * E`` with ``E`` i.i.d. standard Gaussian (``m x n``)."""
    X = V.matrix(X, "X", shape=(problem.d, None))
    noise = V.nonneg_float(noise, "noise")
    E = V.rng(seed).standard_normal((problem.m, X.shape[1]))
    return problem.A @ X + noise * E
