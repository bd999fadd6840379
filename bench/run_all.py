"""Run every benchmark in bench/ (each is a standalone script taking --data)."""

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def invocations(name: str, data: str) -> list[list[str]]:
    """Arguments for each bench script (most take the shared data folder)."""
    if name == "web":
        return [["search"], ["load"]]
    if name == "forecasting":
        retail = Path(data) / "retail" / "online_retail_II_partial_2009-12-01_2010-01-31.parquet"
        return [["--retail", str(retail)]]
    return [["--data", data]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("only", nargs="*", help="bench names to run (default: all)")
    args = parser.parse_args()
    scripts = sorted(
        p
        for p in HERE.glob("*.py")
        if p.name not in {"run_all.py", "__init__.py"} and not p.name.startswith("_")
    )
    failed = []
    for script in scripts:
        if args.only and script.stem not in args.only:
            continue
        for extra in invocations(script.stem, args.data):
            print(f"=== bench/{script.name} {' '.join(extra)}", flush=True)
            result = subprocess.run([sys.executable, str(script), *extra], cwd=HERE.parent)
            if result.returncode:
                failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
