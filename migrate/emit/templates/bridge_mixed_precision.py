"""HEADER"""

from megatron.bridge.training.mixed_precision import MixedPrecisionConfig

mixed_precision = MixedPrecisionConfig()
