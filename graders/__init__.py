"""Grading library for 'Building a Deep Neural Network: Step by Step'."""

__version__ = "0.1.0"
