"""What the browser checks (check-portal.py, check-report.py) share: where things are, the
tally of checks, the built binary and a throwaway database on the test cluster."""
import contextlib
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCREENS = os.path.join(ROOT, "build", "screens")
RESULTS = {"passed": 0, "failed": 0}


def check(condition, message):
    RESULTS["passed" if condition else "failed"] += 1
    print(f"  {'ok' if condition else 'FAIL'}: {message}")


def summary():
    """Prints the tally; the exit status for the script."""
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


def binary():
    """The debug build's dialogue-admin, as `make test` built it."""
    return os.path.join(subprocess.check_output(["swift", "build", "--show-bin-path"], cwd=ROOT, text=True).strip(), "dialogue-admin")


@contextlib.contextmanager
def throwaway_database(prefix):
    """A fresh database on the test cluster (DIALOGUE_TEST_DATABASE_URL, else the embedded
    one), dropped afterwards: yields its URL."""
    server_url = os.environ.get("DIALOGUE_TEST_DATABASE_URL") or subprocess.check_output(
        [os.path.join(ROOT, "deploy/local-cluster.sh"), "url"], text=True).strip()
    database = f"dlgt_{prefix}_{os.getpid()}"
    subprocess.run(["psql", "-q", server_url, "-c", f"CREATE DATABASE {database}"], check=True)
    try:
        yield server_url.replace("/dialogue?", f"/{database}?")
    finally:
        subprocess.run(["psql", "-q", server_url, "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], check=False)
