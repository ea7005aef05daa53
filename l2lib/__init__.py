"""l2lib — the helper package of the book *L2 regularization in neural networks*.

Every chapter imports it. The penalty is written once (:func:`l2lib.kernels.penalty`,
its gradient :func:`l2lib.kernels.penalty_grad`); every other scaling of λ is a
conversion to or from it. :func:`train` is the one training loop; a
:class:`Net` carries a network's weights with its architecture.
"""
# Every module loads with the package, so dir(l2lib) and tab completion list them all.
from . import (conventions, converter, data, early_stopping, frameworks, gradcheck, kernels, network, normalization,
               optim, penalty, plotting, pso, quadratic, selection, slider, sparsity, training)
from .data import make_blobs, make_moons, train_dev_split
from .gradcheck import gradient_check, numerical_gradient, relative_error
from .network import (Net, accuracy, bce_from_logits, cce_from_logits, flatten, forward, half_squared_error,
                      init_net, init_params, predict, predict_proba, sigmoid, softmax, targets, unflatten,
                      weight_mask)
from .penalty import CostParts, cost, cost_and_grads, frobenius_sq, l2_penalty, l2_penalty_grad
from .plotting import OKABE_ITO, figure, grid_2d, plot_boundary, plot_data
from .slider import FrameViewer, glue, interactive_figure, lambda_grid, lambda_slider, static_figure
from .training import sgd_step, train, train_many

__version__ = "0.1.0"

# The functions and constants re-exported here, then the modules.
__all__ = ["make_blobs", "make_moons", "train_dev_split", "gradient_check", "numerical_gradient",
           "relative_error", "Net", "init_net", "accuracy", "bce_from_logits", "cce_from_logits", "flatten",
           "forward", "half_squared_error", "init_params", "predict", "predict_proba", "sigmoid", "softmax",
           "targets", "unflatten", "weight_mask", "CostParts", "cost", "cost_and_grads", "frobenius_sq",
           "l2_penalty", "l2_penalty_grad", "OKABE_ITO", "figure", "grid_2d", "plot_boundary", "plot_data",
           "FrameViewer", "glue", "interactive_figure", "lambda_grid", "lambda_slider", "static_figure", "sgd_step", "train",
           "train_many", "conventions", "converter", "data", "early_stopping", "frameworks", "gradcheck", "kernels", "network",
           "normalization", "optim", "penalty", "plotting", "pso", "quadratic", "selection", "slider", "sparsity", "training"]
