"""MNIST on the PMS150C: IDX data, preprocessing, the integer reference model, training, and
`classify(image) -> (digit, cycles)` on the emulated chip."""

from pms150c.mnist.data import PreprocessSpec, load_mnist, preprocess
from pms150c.mnist.kernel import classify
from pms150c.mnist.model import IntModel, Layer, default_model

__all__ = [
    "IntModel",
    "Layer",
    "PreprocessSpec",
    "classify",
    "default_model",
    "load_mnist",
    "preprocess",
]
