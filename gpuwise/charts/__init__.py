"""What each chart plots: the chart models, plain values computed from points and micro-benchmarks.

No Qt here (an import-linter contract keeps it so): the models are cheap to test and shared by the app's chart
widgets, the exporters, the CSV and ``gpuwise plot``. Every plotted number carries its kind (measured /
extrapolated / estimate) so the views can style it honestly. ``build.build_model`` makes any chart by its name.
"""
