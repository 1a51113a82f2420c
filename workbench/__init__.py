"""workbench: prompt regression and optimization workbench."""

__version__ = "0.1.0"
