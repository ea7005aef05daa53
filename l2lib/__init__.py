"""l2lib — the helper package of the book *L2 regularization in neural networks*.

Every chapter imports it. The penalty is written once (:mod:`l2lib.penalty`);
every other scaling of λ is a conversion to or from it.
"""
from .data import make_blobs, make_moons, train_dev_split
from .gradcheck import gradient_check, numerical_gradient, relative_error
from .network import (accuracy, backward, bce_from_logits, cce_from_logits, flatten, forward,
                      half_squared_error, init_params, predict, predict_proba, sigmoid, softmax, targets,
                      unflatten, weight_mask)
from .penalty import CostParts, cost, cost_and_grads, frobenius_sq, l2_penalty, l2_penalty_grad
from .plotting import OKABE_ITO, figure, grid_2d, plot_boundary, plot_data
from .slider import FrameViewer, interactive_figure, lambda_grid, lambda_slider
from .train import sgd_step, train, train_many

__version__ = "0.1.0"

# Chapter-specific modules load on first use: ``l2lib.optim``, ``l2lib.pso`` ...
_SUBMODULES = ("conventions", "data", "gradcheck", "network", "optim", "penalty", "plotting", "pso",
               "quadratic", "selection", "slider", "train")


def __getattr__(name: str):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'l2lib' has no attribute {name!r}")
