"""MMT: model monitoring for credit-risk models."""
__version__ = "0.1.0"
