import argparse
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mlops.ml_eval import EvalInputError, load_commands


class Command(BaseCommand):
    help = "Train and evaluate an ML capability on plain CSV files (see docs/EVALUATION)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = load_commands(settings.ML_CAPABILITIES)
        sub = parser.add_subparsers(dest="capability", required=True, metavar="CAPABILITY")
        for name, command in sorted(commands.items()):
            child = sub.add_parser(name, help=command.help, description=command.help)
            command.add_arguments(child)

    def handle(self, *args: Any, **options: Any) -> None:
        commands = load_commands(settings.ML_CAPABILITIES)
        name = options["capability"]
        if name not in commands:
            raise CommandError(f"unknown capability {name!r}; choose from {', '.join(commands)}")
        namespace = argparse.Namespace(**options)
        started = time.perf_counter()
        try:
            summary = commands[name].run(namespace)
        except EvalInputError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{summary} ({time.perf_counter() - started:.1f}s)")
