"""podrender: turn a written conversation into a chaptered podcast episode."""

__version__ = "0.1.0"
