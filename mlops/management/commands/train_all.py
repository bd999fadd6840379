from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Train every ML capability (or the named ones) on the store's data and activate winners."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("capabilities", nargs="*", help="default: all")
        parser.add_argument("--force", action="store_true", help="activate even if not better")

    def handle(self, *args: Any, **options: Any) -> None:
        from mlops.services import capability_train

        names = options["capabilities"] or settings.ML_CAPABILITIES
        unknown = [n for n in names if n not in settings.ML_CAPABILITIES]
        if unknown:
            raise CommandError(f"unknown capability: {', '.join(unknown)}")
        failed = []
        for name in names:
            run = capability_train(capability=name, force=options["force"])
            detail = run.message or ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in list(run.summary.items())[:6]
            )
            self.stdout.write(f"{name:16s} {run.status:9s} {detail}"[:300])
            if run.status == "failed":
                failed.append(name)
        if failed:
            raise CommandError(f"training failed for: {', '.join(failed)} (see admin alerts)")
