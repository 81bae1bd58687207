"""Datasets, derived features, input standardization and user points for the playground."""

from app.data.datasets import DATASETS, MAX_POINTS, Dataset, generate, split, split_mask
from app.data.features import FEATURES, feature_matrix, validate_features
from app.data.normalize import Standardizer
from app.data.points import points_from_csv, points_to_csv, validate_points

__all__ = [
    "DATASETS",
    "FEATURES",
    "MAX_POINTS",
    "Dataset",
    "Standardizer",
    "feature_matrix",
    "generate",
    "points_from_csv",
    "points_to_csv",
    "split",
    "split_mask",
    "validate_features",
    "validate_points",
]
