#!/usr/bin/env python3
"""The quarterly report as leadership reads it (make test): the benchmark dataset at scale 1,
the HTML report for 2024-Q2 opened and printed in Debian's chromium.

For the internal report in English and the public one in Belarusian: axe-core finds no
violation; printed to A4 PDF (headless Chromium) the summary, decisions and late items take at
most 6 pages (poppler's pdfinfo counts them), with page numbers and the content hash in the
footer; page 1 is rendered to PNG into build/screens/; the public variant names no participant
(every display name in the database is looked for). A bad --quarter or --list is refused by the
argument parser, with the usage, and writes nothing. Prints 'N passed, N failed'.
"""
import os
import re
import subprocess
import sys
import tempfile

from browserchecks import SCREENS, binary as built_binary, check, summary, throwaway_database

QUARTER = "2024-Q2"
MAX_PAGES = 6


def main():
    from playwright.sync_api import sync_playwright
    from axe_playwright_python.sync_playwright import Axe

    binary = built_binary()
    work = tempfile.mkdtemp(prefix="report-")
    os.makedirs(SCREENS, exist_ok=True)
    with throwaway_database("report") as database_url:
        env = dict(os.environ, DATABASE_URL=database_url, DIALOGUE_LOG_LEVEL="warning")
        subprocess.run([binary, "migrate", "up"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([binary, "seed", "bench", "--scale", "1"], env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        names = [line for line in subprocess.check_output(
            ["psql", "-X", "-A", "-t", database_url, "-c", "SELECT DISTINCT display_name FROM participants"], text=True).splitlines() if line]
        check(len(names) > 100, f"the dataset has participants to look for ({len(names)})")
        # Bad arguments are the argument parser's to refuse, with the usage, before anything is
        # read or written.
        refused_out = os.path.join(work, "refused.html")
        for args, option in [(["export", "quarterly", "--quarter", "2024-Q5", "--format", "html", "--out", refused_out], "--quarter"),
                             (["export", "quarterly", "--quarter", "Q2-2024", "--format", "html", "--out", refused_out], "--quarter"),
                             (["export", "sql", "--quarter", QUARTER, "--list", "decisions"], "--list")]:
            run = subprocess.run([binary] + args, env=env, capture_output=True, text=True)
            check(run.returncode == 64 and option in run.stderr and not run.stdout,
                  f"{' '.join(args[:4])} ...: refused with the usage of {option} (exit {run.returncode})")
        check(not os.path.exists(refused_out), "a refused export writes no file")
        axe = Axe()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for audience, language in [("internal", "en"), ("public", "be")]:
                what = f"the {audience} report in {language}"
                path = os.path.join(work, f"report-{audience}-{language}.html")
                out = subprocess.check_output([binary, "export", "quarterly", "--quarter", QUARTER, "--format", "html",
                                               "--audience", audience, "--lang", language, "--out", path], env=env, text=True)
                sha256 = re.search(r"sha256 ([0-9a-f]{64})", out).group(1)
                html = open(path, encoding="utf-8").read()
                check(f'<html lang="{language}">' in html and sha256 in html, f"{what}: in its language, with its content hash")
                named = [name for name in names if re.search(r"(?<![\w])" + re.escape(name) + r"(?![\w])", html)]
                if audience == "public":
                    check(not named, f"{what} names no participant ({named[:3]})")
                else:
                    check(bool(named), f"{what} names the owners of late items ({len(named)} names)")
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto("file://" + path)
                # The printed width of A4 less the margins (182 mm at 96 dpi): nothing sticks out.
                page.emulate_media(media="print")
                page.set_viewport_size({"width": 688, "height": 1000})
                wide = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
                check(not wide, f"{what} fits the printed page's width")
                page.emulate_media(media="screen")
                page.set_viewport_size({"width": 1280, "height": 900})
                result = axe.run(page)
                check(result.violations_count == 0, f"axe finds no violation on {what} ({[v['id'] for v in result.response['violations']]})")
                page.screenshot(path=os.path.join(SCREENS, f"report-{audience}-{language}-1280.png"))
                pdf = os.path.join(work, f"report-{audience}-{language}.pdf")
                page.pdf(path=pdf, format="A4", display_header_footer=False, prefer_css_page_size=True)
                context.close()
                info = subprocess.check_output(["pdfinfo", pdf], text=True)
                pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
                check(pages <= MAX_PAGES, f"{what} prints on {pages} A4 pages (at most {MAX_PAGES})")
                text = subprocess.check_output(["pdftotext", "-layout", pdf, "-"], text=True)
                check(sha256 in text.replace("\n", " "), f"{what}: the printed footer carries the content hash")
                last = {"en": "Page", "be": "Старонка"}[language]
                check(re.search(rf"{last} {pages} \S+ {pages}", text) is not None, f"{what}: printed pages are numbered ({last} N of {pages})")
                stem = os.path.join(SCREENS, f"report-{audience}-{language}-page1")
                subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf, stem], check=True)
            browser.close()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
