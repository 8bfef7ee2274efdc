"""Sentinel: public-opinion (舆情) monitoring for local government offices."""

__version__ = "0.1.0"
