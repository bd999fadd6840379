"""Metric code shared by the project's evaluation, benchmarks and monitoring (pure numpy).

One module per area: ranking (recommendations), forecast, fraud, text (support), pricing.
"""
