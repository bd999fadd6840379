"""What tests, benchmarks and other apps may read from the demo generator."""

from typing import Any

from demo.models import DemoRun, GroundTruth


def ground_truth(kind: str) -> dict[str, Any]:
    """Planted facts of one kind, keyed by SKU, order number or customer id (as strings)."""
    return dict(GroundTruth.objects.filter(kind=kind).values_list("key", "value"))


def demo_last_run() -> dict[str, Any] | None:
    run = DemoRun.objects.first()
    if run is None:
        return None
    return {
        "seed": run.seed,
        "scale": run.scale,
        "anchor": run.anchor,
        "seconds": run.seconds,
        "counts": dict(run.counts),
    }
