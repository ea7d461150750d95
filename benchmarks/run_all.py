"""Run every benchmark in turn (`make benchmarks`); pass --quick for the short versions."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK = "--quick" in sys.argv[1:]

BENCHMARKS = [
    ["text_extraction.py", *(["--quick"] if QUICK else [])],
    ["entity_throughput.py"],
    ["evaluate_entities.py", "--heldout"],
    ["evaluate_filings.py", *(["--quick"] if QUICK else [])],
    ["evaluate_resolution.py"],
    ["resolution_scale.py", "10000", "100000", *([] if QUICK else ["1000000"])],
    ["orchestration_overhead.py", *(["--quick"] if QUICK else [])],
]

if __name__ == "__main__":
    failed = []
    for script, *arguments in BENCHMARKS:
        print(f"\n=== {script} {' '.join(arguments)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script), *arguments]).returncode != 0:
            failed.append(script)
    sys.exit(f"failed: {', '.join(failed)}" if failed else 0)
