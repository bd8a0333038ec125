"""What the browser checks (check-portal.py, check-report.py) share: where things are, the
tally of checks, the built binary and a throwaway database on the test cluster."""
import base64
import contextlib
import hmac
import json
import os
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request

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


CATALOGS = {
    language: json.load(open(os.path.join(ROOT, "Sources/DialogueWeb/Catalogs", f"{language}.json"), encoding="utf-8"))
    for language in ("en", "be", "ru")
}


def totp(key, at=None):
    """The RFC 6238 code of a base32 key, as an authenticator app computes it."""
    key = key.replace(" ", "")
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    mac = hmac.new(secret, struct.pack(">Q", int(at if at is not None else time.time()) // 30), "sha1").digest()
    offset = mac[-1] & 0x0F
    return str((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000).zfill(6)


@contextlib.contextmanager
def served(prefix):
    """The server on a throwaway database, with a second-factor key: yields its base URL and a
    function that runs the CLI against the same database."""
    binary_path = binary()
    with throwaway_database(prefix) as database_url:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        env = dict(os.environ, DATABASE_URL=database_url, DIALOGUE_PUBLIC_URL=base,
                   DIALOGUE_FACTOR_KEY=base64.b64encode(os.urandom(32)).decode())
        log = tempfile.NamedTemporaryFile(prefix=f"{prefix}-", suffix=".log", delete=False)
        server = subprocess.Popen([binary_path, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log)
        try:
            for _ in range(150):
                try:
                    if urllib.request.urlopen(base + "/readyz", timeout=2).status == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            yield base, lambda *args: subprocess.check_output([binary_path, *args], env=env, text=True, stderr=subprocess.DEVNULL).strip()
        finally:
            server.terminate()
            server.wait(timeout=15)
            log.close()
            os.unlink(log.name)


def jpeg_with_gps():
    """A JPEG's structure with EXIF GPS coordinates, an IPTC block and a comment before its image
    data (the server's stripper reads segments, never pixels)."""
    def segment(marker, payload):
        return bytes([0xFF, marker, (len(payload) + 2) >> 8, (len(payload) + 2) & 0xFF]) + payload
    scan = bytes((i * 7 % 251) for i in range(4000)).replace(b"\xff", b"\xfe")
    return (b"\xff\xd8" + segment(0xE0, b"JFIF\0\1\1\0\0\1\0\1\0\0")
            + segment(0xE1, b"Exif\0\0MM\0*GPSLatitude 52.4345 N GPSLongitude 30.9754 E Model PhoneX")
            + segment(0xED, b"Photoshop 3.0\x008BIM By-line: Ihar") + segment(0xFE, b"taken by Ihar in Homel")
            + segment(0xDB, bytes([1] * 65)) + segment(0xDA, bytes([1, 1, 0, 0, 0x3F, 0])) + scan + b"\xff\xd9")


def enter(browser, pages, link, name, t, passphrase, second_factor=True, **options):
    """A new browser context on the far side of a portal invitation, the second factor set up
    when the role needs one: (page, its key or None)."""
    context = browser.new_context(**options)
    page = context.new_page()
    pages.watch(page)
    page.goto(link)
    page.get_by_label(t["invitation_choose_name"]).fill(name)
    page.get_by_label(t["invitation_choose_passphrase"]).fill(passphrase)
    page.get_by_role("button", name=t["invitation_submit"]).click()
    if not second_factor:
        return page, None
    key = page.get_by_label(t["factor_secret"], exact=True).inner_text()
    page.get_by_label(t["factor_code"]).fill(totp(key))
    page.get_by_role("button", name=t["factor_confirm"]).click()
    return page, key


class Pages:
    """What every browser check does to a page: watch that it asks nothing of another origin,
    take its screenshots at 390 and 1280 px, and scan it with axe-core."""

    def __init__(self, base):
        from axe_playwright_python.sync_playwright import Axe
        self.base = base
        self.axe = Axe()
        self.foreign = []
        os.makedirs(SCREENS, exist_ok=True)

    def watch(self, page):
        page.on("request", lambda request: None if request.url.startswith(self.base) else self.foreign.append(request.url))

    def shoot(self, page, name):
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=os.path.join(SCREENS, f"{name}-{width}.png"), full_page=True)

    def scanned(self, page, what):
        result = self.axe.run(page)
        check(result.violations_count == 0, f"axe finds no violation on {what} ({[v['id'] for v in result.response['violations']]})")
        page.set_viewport_size({"width": 360, "height": 800})
        wide = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
        check(not wide, f"{what} fits a 360 px phone without sideways scrolling")
        page.set_viewport_size({"width": 1280, "height": 900})
