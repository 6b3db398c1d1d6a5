"""Training without a window: datasets, losses, SGD, TrainConfig and a stoppable loop.

from mgdesk.train import TrainConfig, train
for stats in train(TrainConfig(dataset="moons", layers=(16, 16), steps=100)):
    print(stats.step, stats.train_loss, stats.train_acc)
"""

from mgdesk.train.config import ConfigError, TrainConfig, parse_layers
from mgdesk.train.data import CSVError, Dataset, load_csv, make_dataset
from mgdesk.train.losses import LOSSES, Loss, accuracy
from mgdesk.train.optim import SGD, scheduled_lr
from mgdesk.train.trainer import (
    StepStats,
    Trainer,
    TrainingFailure,
    class_grid,
    class_grid_bands,
    decision_grid,
    decision_grid_bands,
    fitted_curve,
    new_model,
    sample_loss,
    train,
)

__all__ = [
    "LOSSES",
    "SGD",
    "CSVError",
    "ConfigError",
    "Dataset",
    "Loss",
    "StepStats",
    "TrainConfig",
    "Trainer",
    "TrainingFailure",
    "accuracy",
    "class_grid",
    "class_grid_bands",
    "decision_grid",
    "decision_grid_bands",
    "fitted_curve",
    "load_csv",
    "make_dataset",
    "new_model",
    "parse_layers",
    "sample_loss",
    "scheduled_lr",
    "train",
]
