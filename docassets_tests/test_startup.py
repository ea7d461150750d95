"""Storage is checked when the code location loads, not again in each run's process: Dagster starts
a run as a child of the code location's server, and the child inherits the server's check."""

import os
import subprocess
import sys
from pathlib import Path

from .conftest import new_bucket

ROOT = Path(__file__).resolve().parent.parent
# The code location's server: loads the code location, then its bucket goes away, then a run starts.
SERVER = """
import os, subprocess, sys
import boto3
import docassets.definitions
boto3.client("s3").delete_bucket(Bucket=os.environ["DOCASSETS_S3_BUCKET"])
run = subprocess.run([sys.executable, "-c", "import docassets.definitions"], capture_output=True, text=True)
sys.exit(run.returncode)
"""


def test_a_run_process_does_not_check_storage_again(aws_environment, s3_endpoint, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCASSETS_")}
    env.update(DOCASSETS_HOME=str(tmp_path / "home"), DOCASSETS_S3_BUCKET=new_bucket(s3_endpoint))

    server = subprocess.run(
        [sys.executable, "-c", SERVER], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert server.returncode == 0, server.stderr  # the run's process loaded without probing the bucket

    fresh = subprocess.run(
        [sys.executable, "-c", "import docassets.definitions"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert fresh.returncode != 0  # a code location loading now checks, and finds the bucket gone
    assert f"DOCASSETS_S3_BUCKET={env['DOCASSETS_S3_BUCKET']}: the bucket answered" in fresh.stderr
