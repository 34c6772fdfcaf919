"""Quality measures: each docstring says what it measures and where it stops meaning anything."""
from .modes import mode_stats

__all__ = ["mode_stats"]
