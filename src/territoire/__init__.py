"""Territoire: steer a territory's digital transformation and account for it publicly."""

__version__ = "0.1.0"
