"""The desktop face of gpuwise: PySide6 widgets over the measurement core (imports core, never the reverse)."""
