#!/usr/bin/env python3
"""Documents, minutes, discussion and who may read them, in a real browser (make test): Debian's
chromium driven by Playwright (issue 18).

Two sides of one working group. A movement member, in English, writes a position paper for their
side only, in Markdown that tries a script, a raw tag and a javascript: link (all shown as text),
edits it into a second version and compares the two. The movement's coordinator, in Belarusian,
shares a roadmap with one government member by name, drafts the held session's minutes, and asks
to widen an audience without confirming (refused beside the field). The government member, in
Russian with JavaScript off, finds the roadmap but no trace of the position paper, comments on the
roadmap, and signs the minutes for the government side; the movement chair signs for theirs and
the minutes are final and frozen. The government coordinator's lists, search and report never
name the movement's paper. axe-core scans every page (JavaScript on: axe is a script, the portal
is not); screenshots at 390 and 1280 px go to build/screens/documents-*; every request must be to
the portal itself. Prints 'N passed, N failed'.
"""
import hashlib
import os
import sys
import tempfile
import urllib.request

from browserchecks import CATALOGS, Pages, check, jpeg_with_gps, served, summary
from browserchecks import enter as shared_enter

PASSPHRASE = "a long enough passphrase for the check"
CANARY = "CANARY-POSITION-7f3a"


def main():
    with served("documents") as (base, cli):
        return run(base, cli)


def enter(browser, pages, link, name, t, coordinator=False, **options):
    """A new context on the far side of a portal invitation (a coordinator sets up the second factor)."""
    return shared_enter(browser, pages, link, name, t, PASSPHRASE, second_factor=coordinator, **options)[0]


def run(base, cli):
    from playwright.sync_api import sync_playwright

    en, be, ru = CATALOGS["en"], CATALOGS["be"], CATALOGS["ru"]
    government = cli("org", "add", "--name", "Department of State", "--side", "government")
    movement = cli("org", "add", "--name", "Coordination Council", "--side", "movement")
    people = {}
    for key, name, kind, organization in (("gov_coord", "Grace Holloway", "official", government),
                                          ("mov_coord", "Maryia Kalesnik", "diaspora", movement),
                                          ("gov_member", "Gordon Pike", "official", government),
                                          ("mov_member", "Mikola Sakalou", "diaspora", movement)):
        people[key] = cli("participant", "add", "--name", name, "--kind", kind)
        cli("participant", "update", people[key], "--organization", organization)
    group = cli("group", "add", "--direction", "accountability", "--name", "Accountability")
    for key, role in (("gov_member", "chair"), ("mov_member", "chair")):
        cli("group", "member", "add", "--group", group, "--participant", people[key], "--role", role)
    session = cli("session", "add", "--kind", "working_group", "--title", "Accountability, March", "--start", "2026-03-10T10:00",
                  "--timezone", "Europe/Vilnius", "--group", group).split()[0]
    for key in people:
        cli("session", "invite", session, "--participant", people[key])
    cli("session", "transition", session, "--to", "confirmed")
    cli("session", "transition", session, "--to", "held")

    pages = Pages(base)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])

        def look(page, name, what):
            pages.scanned(page, what)
            pages.shoot(page, f"documents-{name}")

        # The movement member writes a paper for their side.
        t = en
        member = enter(browser, pages, cli("participant", "invite", people["mov_member"], "--role", "member"), "mikola", t,
                       extra_http_headers={"Accept-Language": "en"})
        member.get_by_role("link", name=t["nav_documents"], exact=True).click()
        look(member, "list-empty", "the documents list, empty")
        member.get_by_role("link", name=t["document_new"]).click()
        member.get_by_label(t["field_place"], exact=True).select_option(f"group:{group}")
        member.get_by_label(t["field_kind"], exact=True).select_option("position")
        member.get_by_label(t["field_title"], exact=True).fill(f"Our position {CANARY}")
        member.get_by_label(t["field_body"], exact=True).fill(
            "# What we ask\n\n1. Designate the judges\n2. Free the prisoners\n\n<script>alert(1)</script>\n\n"
            "[a link](javascript:alert(2)) and [the registry](https://prisoners.example.org/list)\n")
        member.get_by_label(t["field_who_reads"], exact=True).select_option("side")
        look(member, "new", "a new document's form")
        member.get_by_role("button", name=t["console_create"]).click()
        check(member.get_by_text(t["document_notice_created"]).is_visible(), "the position paper is saved as a draft")
        check(member.get_by_role("heading", name="What we ask").is_visible(), "its Markdown is rendered")
        check(member.get_by_text("<script>alert(1)</script>").is_visible() and member.locator("main script").count() == 0,
              "the raw tag shows as text and runs nowhere")
        check(member.locator("a[href^='javascript']").count() == 0 and member.locator("a[href='https://prisoners.example.org/list']").count() == 1,
              "the javascript: link is dropped, the registry link kept")
        check(member.get_by_text(t["reach_side"]).first.is_visible(), "the page says only the author's side may read it")
        paper = member.url.split("?")[0]
        look(member, "document", "a document's page")
        member.get_by_role("link", name=t["document_edit"]).click()
        member.get_by_label(t["field_body"], exact=True).fill("# What we ask\n\n1. Designate the judges and prosecutors\n2. Free the prisoners\n")
        member.get_by_role("button", name=t["console_save"]).click()
        check(member.get_by_text(t["document_notice_saved"]).is_visible(), "an edit is saved as a new version")
        member.get_by_role("link", name=t["document_versions"]).first.click()
        look(member, "versions", "a document's versions")
        member.get_by_role("button", name=t["document_compare"]).click()
        check(member.locator("pre.diff .added").count() >= 1 and member.locator("pre.diff .removed").count() >= 1,
              "the comparison shows the lines added and removed")
        look(member, "diff", "two versions compared")
        # Evidence: a photo carrying GPS EXIF, sent from the paper's page without JavaScript.
        photo_bytes = jpeg_with_gps()
        photo = os.path.join(tempfile.mkdtemp(), "IMG_2041 Homel court.jpg")
        with open(photo, "wb") as handle:
            handle.write(photo_bytes)
        member.goto(paper)
        member.get_by_label(t["field_source_url"], exact=True).fill("https://spring96.example.org/cases/1")
        member.get_by_label(t["field_file"], exact=True).set_input_files(photo)
        member.get_by_role("button", name=t["evidence_upload"]).click()
        check(member.get_by_text(t["document_notice_evidence"]).is_visible(), "the photo is received")
        check("IMG_2041" not in member.content(), "the name the photo came with is not kept")
        row = member.locator("#evidence table tbody tr").first
        check(hashlib.sha256(photo_bytes).hexdigest()[:16] in row.inner_text() and "APP1" in row.inner_text(),
              "the list shows the received hash and the EXIF block removed")
        look(member, "evidence", "a document with its evidence")
        evidence_link = row.get_by_role("link").get_attribute("href")
        with member.expect_download() as download:
            row.get_by_role("link").click()
        kept = open(download.value.path(), "rb").read()
        check(download.value.suggested_filename.startswith("evidence-") and download.value.suggested_filename.endswith(".jpg"),
              f"the download is named {download.value.suggested_filename}, not after the original")
        check(b"GPSLatitude" not in kept and b"Exif" not in kept and b"Ihar" not in kept and kept.startswith(b"\xff\xd8"),
              "the downloaded copy carries no location, camera or name")
        check(hashlib.sha256(kept).hexdigest()[:16] in row.inner_text(), "its hash is the kept one the page shows")
        member.get_by_label(t["field_file"], exact=True).set_input_files({"name": "report.txt", "mimeType": "text/plain",
                                                                            "buffer": b"<!doctype html><script>alert(1)</script>"})
        member.get_by_role("button", name=t["evidence_upload"]).click()
        check(member.get_by_label(t["field_file"], exact=True).get_attribute("aria-invalid") == "true",
              "a renamed HTML file is refused beside the file field")
        member.goto(paper)
        member.get_by_label(t["field_comment"], exact=True).fill("Shall we add the investigators?")
        member.get_by_role("button", name=t["comment_post"]).click()
        check(member.locator("ol.comments p.text", has_text="Shall we add the investigators?").is_visible(), "a comment is posted under the paper")

        # The movement's coordinator, in Belarusian: a roadmap for one person, the minutes.
        t = be
        coordinator = enter(browser, pages, cli("participant", "invite", people["mov_coord"], "--role", "coordinator"), "maryia", t,
                            coordinator=True, extra_http_headers={"Accept-Language": "be"})
        coordinator.goto(base + f"/documents/new?group={group}")
        coordinator.get_by_label(t["field_kind"], exact=True).select_option("roadmap")
        coordinator.get_by_label(t["field_title"], exact=True).fill("Roadmap for the spring")
        coordinator.get_by_label(t["field_body"], exact=True).fill("Three steps, in order.")
        coordinator.get_by_label(t["field_who_reads"], exact=True).select_option("named")
        coordinator.get_by_label(t["document_named_person"].replace("{1}", "Gordon Pike"), exact=True).check()
        coordinator.get_by_role("button", name=t["console_create"]).click()
        check(coordinator.get_by_text("Gordon Pike").first.is_visible(), "the roadmap names the one person it is shared with")
        roadmap = coordinator.url.split("?")[0]
        coordinator.get_by_role("link", name=t["audience_change"]).click()
        coordinator.get_by_label(t["field_who_reads"], exact=True).select_option("dialogue")
        coordinator.get_by_role("button", name=t["audience_save"]).click()
        check(coordinator.get_by_label(t["field_who_reads"], exact=True).get_attribute("aria-invalid") == "true",
              "widening without the confirmation is refused beside the field")
        look(coordinator, "audience", "the form of who may read it")
        coordinator.goto(base + f"/documents/new?session={session}")
        coordinator.get_by_label(t["field_kind"], exact=True).select_option("minutes")
        coordinator.get_by_label(t["field_title"], exact=True).fill("Minutes, 10 March")
        coordinator.get_by_label(t["field_body"], exact=True).fill("Present: both sides.\n\nAgreed: a list of judges by April.")
        coordinator.get_by_role("button", name=t["console_create"]).click()
        check(coordinator.get_by_text(t["document_notice_created"]).is_visible(), "the coordinator drafts the session's minutes")
        minutes = coordinator.url.split("?")[0]
        look(coordinator, "minutes-draft", "minutes before sign-off")

        # The government member, in Russian, JavaScript off.
        t = ru
        gov = enter(browser, pages, cli("participant", "invite", people["gov_member"], "--role", "member"), "gordon", t,
                    java_script_enabled=False, extra_http_headers={"Accept-Language": "ru"})
        gov.get_by_role("link", name=t["nav_documents"], exact=True).click()
        listing = gov.content()
        check("Roadmap for the spring" in listing and CANARY not in listing, "the government member sees the roadmap, not the paper")
        gov.goto(paper)
        check(CANARY not in gov.content(), "the paper's own address tells the government member nothing")
        gov.goto(base + evidence_link)
        check(t["not_found"] in gov.content() and "evidence-" not in gov.content(), "nor does its evidence")
        gov.goto(roadmap)
        gov.get_by_label(t["field_comment"], exact=True).fill("Agreed on the order.")
        gov.get_by_role("button", name=t["comment_post"]).click()
        check(gov.locator("ol.comments p.text", has_text="Agreed on the order.").is_visible(), "the named reader comments on the roadmap")
        gov.goto(minutes)
        gov.get_by_role("button", name=t["document_sign_off"].replace("{1}", t["side_government"])).click()
        check(gov.get_by_text(t["document_notice_signed"]).is_visible(), "the government chair signs the minutes")

        t = en
        member.goto(minutes)
        member.get_by_role("button", name=t["document_sign_off"].replace("{1}", t["side_movement"])).click()
        check(member.get_by_text(t["document_notice_frozen"]).is_visible(), "the movement chair signs: the minutes are final and frozen")
        check(member.get_by_role("link", name=t["document_edit"]).count() == 0, "a member can no longer edit them")
        look(member, "minutes-final", "signed-off minutes")

        # The government coordinator: nothing of the movement's paper, anywhere they can reach.
        t = en
        gov_coord = enter(browser, pages, cli("participant", "invite", people["gov_coord"], "--role", "coordinator"), "grace", t,
                          coordinator=True, extra_http_headers={"Accept-Language": "en"})
        seen = ""
        for path in ("/documents", "/documents?q=position", "/proposals", f"/sessions/{session}", paper, minutes, "/notifications",
                     "/console/report/view?quarter=2026-Q1&audience=internal&detail=full"):
            gov_coord.goto(path if path.startswith("http") else base + path)
            seen += gov_coord.content()
        check(CANARY not in seen, "the government coordinator's pages and report never name the movement's paper")
        gov_coord.goto(minutes)
        check(gov_coord.get_by_text(t["document_frozen"]).first.is_visible(), "the government coordinator reads the final minutes")
        look(gov_coord, "minutes-coordinator", "minutes as a coordinator reads them")

        check(not pages.foreign, f"no request went to another origin ({pages.foreign[:3]})")
        browser.close()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
