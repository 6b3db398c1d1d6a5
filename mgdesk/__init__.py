"""mgdesk: a desktop playground to see backpropagation."""

__version__ = "0.1.0"
