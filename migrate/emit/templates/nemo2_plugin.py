"""HEADER"""

from nemo import lightning as nl

plugin = nl.MegatronMixedPrecision()
