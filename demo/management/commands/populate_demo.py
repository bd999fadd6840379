import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from demo.simulate import SCALES


class Command(BaseCommand):
    help = (
        "Fill the store with a simulated history ending now (deterministic per seed). "
        "Re-running replaces the earlier demo data and never touches data people created."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--scale", choices=sorted(SCALES), default="medium")
        parser.add_argument(
            "--now",
            default=None,
            help="ISO datetime the history ends at (default: the current time); for reproducible runs",
        )

    def handle(self, *args: object, **opts: object) -> None:
        from demo.services import demo_populate

        anchor = None
        if opts["now"]:
            anchor = parse_datetime(str(opts["now"]))
            if anchor is None:
                raise CommandError(f"--now: cannot parse {opts['now']!r} as an ISO datetime")
            if anchor.tzinfo is None:
                anchor = anchor.replace(tzinfo=dt.UTC)
        quiet = int(str(opts.get("verbosity", 1))) < 1

        def say(msg: str) -> None:
            if not quiet:
                self.stdout.write(msg)
                sys.stdout.flush()

        demo_populate(
            seed=int(str(opts["seed"])), scale=str(opts["scale"]), anchor=anchor, progress=say
        )
