"""workbench: prompt regression and optimization workbench."""

from __future__ import annotations

from workbench.version import __version__

__all__ = ["__version__"]
