"""Everything that measures or decides. Never imports Qt, pyqtgraph or gpuwise.ui; torch is imported lazily."""
