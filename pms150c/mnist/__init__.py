"""MNIST on the PMS150C: IDX data, preprocessing, the integer reference model, training."""

from pms150c.mnist.data import PreprocessSpec, load_mnist, preprocess
from pms150c.mnist.model import IntModel, Layer, default_model

__all__ = ["IntModel", "Layer", "PreprocessSpec", "default_model", "load_mnist", "preprocess"]
