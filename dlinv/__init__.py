"""dlinv: deep linear networks for linear inverse problems (the course's shared module).

Core modules, one idea each (imported with the package):

- :mod:`dlinv.problem`: the inverse problem ``y = A x`` with a hidden subspace, and its data
- :mod:`dlinv.network`: deep linear network weights, initialization, loss, gradients
- :mod:`dlinv.train`: full-batch gradient descent with weight decay, with a recorded history
  (the function ``dlinv.train`` shadows the module name: import helpers from it as
  ``from dlinv.train import smoothness_estimate``)
- :mod:`dlinv.theory`: every closed form of the book
- :mod:`dlinv.metrics`: on/off-subspace errors, error decomposition, test error under noise
- :mod:`dlinv.plots`: the book's recurring figures (theory dashed over measurement)

Chapter companions (import explicitly, e.g. ``from dlinv import dynamics``):
``single_layer`` (Ch. 2), ``dynamics`` (Ch. 3), ``representation`` and ``collapse`` (Ch. 4),
``convergence`` (Ch. 5), ``subspaces`` (Ch. 6), ``robustness`` (Ch. 7), ``relu`` and
``relu_analysis`` (Ch. 8), ``widgets`` (the explorers), ``bench`` (``python -m dlinv.bench``).
"""

from . import _threads, metrics, network, plots, problem, theory
from .network import (
    balanced_factorization,
    check_weights,
    end_to_end,
    gradients,
    imbalances,
    init_weights,
    layer_shapes,
    loss,
    partial_product,
)
from .problem import (
    InverseProblem,
    TrainingData,
    make_training_data,
    noisy_measurements,
    problem_from_operator,
    random_problem,
    sample_latent,
)
from .train import (
    ALL_METRICS,
    DEFAULT_METRICS,
    History,
    TrainResult,
    smoothness_estimate,
    suggest_step_size,
    train,
)

__version__ = "0.2.0"

#: BLAS threads of this process: one by default, at most the CPUs it has (affinity, cgroup quota)
BLAS_THREADS = _threads.cap_to_available()
