from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Import real retail history into catalog, customers and orders. "
        "Datasets: online-retail (UCI Online Retail II: parquet, CSV or XLSX export). "
        "All or nothing: a bad file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dataset", choices=["online-retail"])
        parser.add_argument("path")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report, write nothing"
        )

    def handle(self, *args: object, **opts: object) -> None:
        from demo.importers import ImportFileError, online_retail_import

        try:
            report = online_retail_import(str(opts["path"]), dry_run=bool(opts["dry_run"]))
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(report.summary())
