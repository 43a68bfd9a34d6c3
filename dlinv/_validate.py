"""Input checks shared by every dlinv function.

Every public function validates its arguments here and raises a ``ValueError`` that names
the offending parameter and says how to fix it. Nothing is silently broadcast or coerced.
"""

from __future__ import annotations

import numbers

import numpy as np


def rng(seed, name: str = "seed") -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from an explicit seed.

    Accepts a non-negative ``int`` or a ``Generator``. ``None``, floats, bools and legacy
    ``RandomState`` objects are refused: every random draw in the course is reproducible.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise ValueError(
            f"{name} must be a non-negative int or a numpy.random.Generator, got "
            f"{type(seed).__name__} ({seed!r}); pass e.g. {name}=0 or "
            f"{name}=numpy.random.default_rng(0)"
        )
    if seed < 0:
        raise ValueError(f"{name} must be non-negative, got {seed}")
    return np.random.default_rng(int(seed))


def positive_int(value, name: str, minimum: int = 1) -> int:
    """An integer ``>= minimum`` (bools refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be an int >= {minimum}, got {type(value).__name__} ({value!r})"
        )
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return int(value)


def nonneg_float(value, name: str, *, positive: bool = False) -> float:
    """A finite real number ``>= 0`` (``> 0`` if ``positive``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {type(value).__name__} ({value!r})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def matrix(value, name: str, shape: tuple | None = None) -> np.ndarray:
    """A finite 2-D float64 array, optionally of an exact shape (``None`` entries are free)."""
    arr = np.asarray(value)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got an array of shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if shape is not None:
        for axis, (got, want) in enumerate(zip(arr.shape, shape)):
            if want is not None and got != want:
                raise ValueError(
                    f"{name} must have shape {_fmt_shape(shape)}, got {arr.shape} "
                    f"(axis {axis}: expected {want}, got {got})"
                )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return arr


def readonly(arr: np.ndarray) -> np.ndarray:
    """A read-only (contiguous) copy of ``arr``."""
    out = np.array(arr, dtype=np.float64, order="C", copy=True)
    out.flags.writeable = False
    return out


def _fmt_shape(shape) -> str:
    return "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
