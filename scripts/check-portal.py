#!/usr/bin/env python3
"""The portal in a real browser (make test): Debian's chromium driven by Playwright.

Starts the server on a throwaway database, invites a participant with the CLI, then, with
JavaScript disabled as in Tor Browser's "Safest" mode: opens the invitation, trips over a short
passphrase, chooses a name and passphrase, reads the home page (the next session in the
participant's own zone, beside the meeting's), signs out, signs in again by name, switches to
Belarusian. An axe-core scan (JavaScript on: axe is a script, the portal is not) of every page
reached must find no violation. Screenshots at 390 and 1280 px go to build/screens/. Every
request the browser made must be to the portal itself. Prints 'N passed, N failed'.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCREENS = os.path.join(ROOT, "build", "screens")
RESULTS = {"passed": 0, "failed": 0}


def check(condition, message):
    RESULTS["passed" if condition else "failed"] += 1
    print(f"  {'ok' if condition else 'FAIL'}: {message}")


def main():
    from playwright.sync_api import sync_playwright
    from axe_playwright_python.sync_playwright import Axe

    binary = os.path.join(subprocess.check_output(["swift", "build", "--show-bin-path"], cwd=ROOT, text=True).strip(), "dialogue-admin")
    server_url = os.environ.get("DIALOGUE_TEST_DATABASE_URL") or subprocess.check_output(
        [os.path.join(ROOT, "deploy/local-cluster.sh"), "url"], text=True).strip()
    database = f"dlgt_portal_{os.getpid()}"
    subprocess.run(["psql", "-q", server_url, "-c", f"CREATE DATABASE {database}"], check=True)
    database_url = server_url.replace("/dialogue?", f"/{database}?")
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DATABASE_URL=database_url, DIALOGUE_PUBLIC_URL=base)
    log = tempfile.NamedTemporaryFile(prefix="portal-", suffix=".log", delete=False)
    server = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        for _ in range(150):
            try:
                if urllib.request.urlopen(base + "/readyz", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        cli = lambda *args: subprocess.check_output([binary, *args], env=env, text=True, stderr=subprocess.DEVNULL).strip()
        group = cli("group", "add", "--direction", "media", "--name", "Independent media")
        person = cli("participant", "add", "--name", "Zubr", "--kind", "in_country_proxy")
        cli("participant", "update", person, "--timezone", "America/New_York")
        cli("group", "member", "add", "--group", group, "--participant", person, "--role", "member")
        cli("session", "add", "--kind", "working_group", "--group", group, "--title", "Q1 media working group",
            "--start", "2030-03-28T10:00", "--timezone", "Europe/Vilnius", "--duration", "120")
        cli("action", "add", "--title", "Brief the envoy on licensing", "--owner", person, "--due", "2030-01-31", "--group", group)
        link = cli("participant", "invite", person, "--role", "member")
        check(link.startswith(base + "/invitation/dlg_"), "the CLI prints a one-time portal link")

        os.makedirs(SCREENS, exist_ok=True)
        axe = Axe()
        foreign = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])

            def watch(page):
                page.on("request", lambda request: None if request.url.startswith(base) else foreign.append(request.url))

            def shoot(page, name):
                for width in (390, 1280):
                    page.set_viewport_size({"width": width, "height": 900})
                    page.screenshot(path=os.path.join(SCREENS, f"{name}-{width}.png"), full_page=True)

            def scanned(page, what):
                result = axe.run(page)
                check(result.violations_count == 0, f"axe finds no violation on {what} ({[v['id'] for v in result.response['violations']]})")
                page.set_viewport_size({"width": 360, "height": 800})
                wide = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
                check(not wide, f"{what} fits a 360 px phone without sideways scrolling")
                page.set_viewport_size({"width": 1280, "height": 900})

            flow = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900})
            page = flow.new_page()
            watch(page)
            page.goto(link)
            check(page.get_by_label("Choose a sign-in name").is_visible(), "the invitation asks for a sign-in name, by its label")
            check("legal name" in page.content(), "the invitation says not to use a legal name")
            shoot(page, "invitation")
            page.get_by_label("Choose a sign-in name").fill("zubr")
            page.get_by_label("Choose a passphrase").fill("short")
            page.get_by_role("button", name="Create my sign-in and enter").click()
            check(page.get_by_role("alert").is_visible() and page.get_by_label("Choose a passphrase").get_attribute("aria-invalid") == "true",
                  "a short passphrase is listed at the top and marked on its field")
            shoot(page, "invitation-error")
            page.get_by_label("Choose a passphrase").fill("correct horse battery staple")
            page.get_by_role("button", name="Create my sign-in and enter").click()
            check(page.get_by_role("heading", name="Your dialogue").is_visible(), "the participant lands on the home page")
            home = page.content()
            check("Q1 media working group" in home and "America/New_York" in home and "Europe/Vilnius" in home,
                  "the next session shows in the participant's zone, with the meeting's beside it")
            check("4:00" in home or "04:00" in home, "10:00 in Vilnius is 4:00 in New York")
            shoot(page, "home")
            page.get_by_role("link", name="Brief the envoy on licensing").click()
            page.get_by_label("Status").select_option("in_progress")
            page.get_by_label("Progress (%)").fill("40")
            page.get_by_label("Note").fill("Letter drafted, meeting asked for")
            page.get_by_role("button", name="Save the update").click()
            check(page.get_by_role("status").inner_text().strip() == "Your update is saved."
                  and "Letter drafted, meeting asked for" in page.content(), "the owner updates the action item without JavaScript")
            shoot(page, "action-item")
            page.goto(base + "/")
            page.get_by_role("button", name="Sign out", exact=True).click()
            check(page.get_by_role("heading", name="Sign in to the dialogue portal").is_visible(), "signing out leads to sign-in")
            shoot(page, "signin")
            page.get_by_label("Sign-in name").fill("ZUBR")
            page.get_by_label("Passphrase").fill("correct horse battery staple")
            page.get_by_role("button", name="Sign in").click()
            check(page.get_by_role("heading", name="Your dialogue").is_visible(), "signing in again by name works")
            page.get_by_label("Language").select_option("be")
            page.get_by_role("button", name="Change language").click()
            check(page.get_by_role("heading", name="Ваш дыялог").is_visible(), "the portal speaks Belarusian when asked")
            shoot(page, "home-be")
            flow.close()

            scan = browser.new_context(viewport={"width": 1280, "height": 900})
            page = scan.new_page()
            watch(page)
            second = cli("participant", "invite", person, "--role", "member")
            page.goto(second)
            scanned(page, "the invitation page")
            page.get_by_label("Choose a sign-in name").fill("zubr")
            page.get_by_label("Choose a passphrase").fill("short")
            page.get_by_role("button", name="Create my sign-in and enter").click()
            scanned(page, "the invitation page with errors")
            page.goto(base + "/invitation/dlg_no-such-invitation-no-such-invitation-no-such-x")
            scanned(page, "a closed invitation")
            page.goto(base + "/signin")
            scanned(page, "the sign-in page")
            page.get_by_label("Sign-in name").fill("zubr")
            page.get_by_label("Passphrase").fill("correct horse battery staple")
            page.get_by_role("button", name="Sign in").click()
            scanned(page, "the home page")
            page.get_by_role("link", name="Brief the envoy on licensing").click()
            scanned(page, "the action item page")
            scan.close()
            browser.close()
        check(not foreign, f"the browser asked nothing of another origin ({foreign[:3]})")
    finally:
        server.terminate()
        server.wait(timeout=15)
        subprocess.run(["psql", "-q", server_url, "-c", f"DROP DATABASE IF EXISTS {database}"], check=False)
        log.close()
        os.unlink(log.name)
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
