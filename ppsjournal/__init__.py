"""ppsjournal: weekly Partnership Planning Sessions in a plain-text vault."""

__version__ = "0.1.0"
