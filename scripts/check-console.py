#!/usr/bin/env python3
"""The coordinators' console in a real browser (make test): Debian's chromium driven by Playwright.

A coordinator, in Russian, builds a dialogue from nothing (PRODUCT.md workflows 1, 2, 4 and 6):
organizations, participants (an in-country participant's e-mail refused beside the field), a CSV
import previewed then confirmed, the six directions' working groups with two chairs, a quarterly
session in Vilnius time previewed in Washington time (a time the clocks skip refused with the
reason), invitations with a double booking flagged, an agenda built, reordered and trimmed without
script, the session confirmed and held, an outcome and an action item from it, the quarterly
report read, downloaded and frozen. axe-core scans every console page (JavaScript on: axe is a
script, the console is not).

An administrator, in English with JavaScript off, then runs the compromise drill on the
in-country participant (workflow 7): the reason and the admin's own passphrase are asked, the
participant's open portal session ends at once, and the audit trail says so with its chain
intact. Two tabs saving one working group: the later save comes back with the earlier one's
values beside the person's own. Screenshots at 390 and 1280 px go to build/screens/; every
request must be to the portal itself. Prints 'N passed, N failed'.
"""
import json
import sys
import time

from browserchecks import CATALOGS, Pages, check, served, summary, totp
from browserchecks import enter as shared_enter

PASSPHRASE = "a long coordinator passphrase"


def main():
    with served("console") as (base, cli):
        return run(base, cli)


def enter(browser, pages, link, name, t, **options):
    """A new context on the far side of a portal invitation, second factor set up: (page, key)."""
    return shared_enter(browser, pages, link, name, t, PASSPHRASE, **options)


def run(base, cli):
    from playwright.sync_api import sync_playwright

    ru, en = CATALOGS["ru"], CATALOGS["en"]
    admin = cli("participant", "add", "--name", "Admin Office", "--kind", "official")
    coordinator = cli("participant", "add", "--name", "Secretariat Vilnius", "--kind", "diaspora")
    cli("participant", "update", coordinator, "--email", "secretariat@example.org")
    # Somewhere else the envoy is already expected at an overlapping time: the console must say so.
    other = cli("session", "add", "--kind", "plenary", "--title", "Transatlantic plenary", "--start", "2030-03-28T14:30",
                "--timezone", "Europe/Vilnius", "--duration", "120").split()[0]
    pages = Pages(base)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        t = ru
        page, _ = enter(browser, pages, cli("participant", "invite", coordinator, "--role", "coordinator"), "secretariat", t,
                        locale="ru-RU", extra_http_headers={"Accept-Language": "ru"}, viewport={"width": 1280, "height": 900})
        check(page.get_by_role("heading", name=t["home_title"]).is_visible(), "the coordinator is in, in Russian")

        def console(area):
            page.get_by_role("link", name=t["nav_console"], exact=True).click()
            page.locator("nav.console").get_by_role("link", name=t[area], exact=True).click()

        def look(name, what):
            pages.scanned(page, what)
            pages.shoot(page, name)

        def choose(label, text):
            """Chooses, in the select labelled `label`, the option whose text contains `text`."""
            select = page.get_by_label(label, exact=True)
            value = select.locator("option", has_text=text).first.get_attribute("value")
            select.select_option(value)

        # What reaches the coordinator by e-mail: a daily note, chosen on the profile.
        page.get_by_role("link", name=t["nav_profile"], exact=True).click()
        page.get_by_role("button", name=t["factor_replace"]).click()
        check(page.get_by_label(t["field_passphrase"], exact=True).get_attribute("aria-invalid") == "true",
              "moving to a new authenticator asks for the passphrase first, beside the field")
        look("profile-coordinator", "the profile with a second factor")
        page.get_by_role("link", name=t["preferences_link"]).click()
        page.get_by_label(t["field_email_mode"], exact=True).select_option("daily")
        page.get_by_label(t["notify_action_overdue"], exact=True).uncheck()
        page.get_by_role("button", name=t["preferences_save"]).click()
        check(page.get_by_text(t["console_saved"]).is_visible()
              and page.get_by_label(t["field_email_mode"], exact=True).input_value() == "daily"
              and not page.get_by_label(t["notify_action_overdue"], exact=True).is_checked(),
              "the coordinator chooses a daily e-mail without overdue reminders")
        look("preferences", "the e-mail preferences")

        # Workflow 1: organizations, participants, groups of the six directions, members with roles.
        page.get_by_role("link", name=t["nav_console"], exact=True).click()
        look("console-home", "the console's first page")
        console("console_organizations")
        for name, side in (("U.S. Department of State", "government"), ("Office of the Democratic Forces", "movement")):
            page.get_by_label(t["field_name"], exact=True).fill(name)
            page.get_by_label(t["field_side"], exact=True).select_option(side)
            page.get_by_role("button", name=t["console_create"]).click()
            check(page.get_by_role("heading", name=name).is_visible(), f"organization created: {name}")
            if side == "government":
                look("console-organization", "an organization's page")
            console("console_organizations")
        look("console-organizations", "the organizations")

        def participant(name, kind, organization, zone, email=""):
            console("console_participants")
            page.get_by_role("link", name=t["console_participant_new"]).click()
            page.get_by_label(t["field_display_name"], exact=True).fill(name)
            page.get_by_label(t["field_kind"], exact=True).select_option(kind)
            if organization:
                choose(t["field_organization_id"], organization)
            page.get_by_label(t["field_timezone"], exact=True).fill(zone)
            page.get_by_label(t["field_email"], exact=True).fill(email)
            page.get_by_role("button", name=t["console_create"]).click()

        participant("Envoy Smith", "official", "U.S. Department of State", "America/New_York", "envoy@example.org")
        check(page.get_by_role("heading", name="Envoy Smith").is_visible(), "an official is created")
        participant("Sviatlana K.", "diaspora", "Office of the Democratic Forces", "Europe/Vilnius")
        participant("Zubr", "in_country_proxy", "", "Europe/Minsk", "zubr@example.org")
        email = page.get_by_label(t["field_email"], exact=True)
        check(email.get_attribute("aria-invalid") == "true" and page.get_by_text(t["error_email"]).first.is_visible(),
              "an in-country participant's e-mail is refused beside the field")
        look("console-participant-refused", "a refused participant form")
        email.fill("")
        page.get_by_role("button", name=t["console_create"]).click()
        check(page.get_by_role("heading", name="Zubr").is_visible(), "without it, the in-country participant is created")
        zubr_id = page.url.split("/console/participants/")[1].split("?")[0]
        look("console-participant", "a participant's page")
        console("console_participants")
        look("console-participants", "the directory")

        console("console_participants")
        page.get_by_role("link", name=t["console_import"]).click()
        page.get_by_label(t["field_csv"], exact=True).fill(
            "display_name,kind,timezone\nAnalyst One,diaspora,Europe/Warsaw\nAnalyst Two,official,America/New_York\n")
        page.get_by_role("button", name=t["console_import_preview"]).click()
        preview = page.locator("#preview")
        check(preview.get_by_text(t["console_import_new"]).count() == 2, "the import's preview says what each row would do")
        look("console-import-preview", "the import preview")
        page.get_by_role("button", name=t["console_import_confirm"]).click()
        check(page.get_by_text(t["console_import_done"].replace("{1}", "2").replace("{2}", "0")).is_visible(),
              "confirmed, the two rows are imported")

        console("console_groups")
        directions = page.get_by_label(t["field_direction"], exact=True).locator("option").all_inner_texts()
        check(len(directions) == 6, "six directions to choose from")
        for index, direction in enumerate(directions):
            page.get_by_label(t["field_direction"], exact=True).select_option(index=index)
            page.get_by_label(t["field_name"], exact=True).fill(f"WG {direction}")
            page.get_by_role("button", name=t["console_create"]).click()
            if index == 0:
                check(page.get_by_text(t["group_warning_chairs"]).first.is_visible(), "a new group is flagged: it needs two chairs")
                first_group = page.url
            console("console_groups")
        check(page.locator("table.list tbody tr").count() == 6, "the six working groups are listed")
        look("console-groups", "the working groups")
        page.goto(first_group)
        for name in ("Envoy Smith", "Sviatlana K."):
            choose(t["field_participant_id"], name)
            page.get_by_label(t["field_role"], exact=True).last.select_option("chair")
            page.get_by_role("button", name=t["console_member_add"]).click()
        check(page.get_by_text(t["group_warning_chairs"]).count() == 0, "with a chair from each side the warning is gone")
        look("console-group", "a working group")

        # Workflow 2: a quarterly meeting in Vilnius time, seen in Washington time; a double booking.
        console("console_sessions")
        page.get_by_role("link", name=t["console_quarterly"]).click()
        page.get_by_label(t["field_year"], exact=True).fill("2031")
        page.get_by_role("button", name=t["console_quarterly_run"]).click()
        check(page.locator("#scheduled tbody tr").count() == 4, "the wizard schedules the four quarterly meetings of 2031")
        look("console-quarterly", "the quarterly wizard")
        page.get_by_role("button", name=t["console_quarterly_run"]).click()
        check(page.locator("#scheduled tbody tr", has_text=t["console_quarterly_existed"]).count() == 4, "run again, it creates nothing twice")
        console("console_sessions")
        look("console-sessions", "the sessions")
        page.get_by_role("link", name=t["console_session_new"]).click()
        page.get_by_label(t["field_kind"], exact=True).select_option("quarterly")
        page.get_by_label(t["field_title"], exact=True).fill("Quarterly strategic dialogue")
        page.get_by_label(t["field_local_start"], exact=True).fill("2030-03-31T03:30")
        page.get_by_label(t["field_timezone"], exact=True).fill("Europe/Vilnius")
        page.get_by_label(t["field_duration_minutes"], exact=True).fill("180")
        page.get_by_role("button", name=t["console_session_preview"]).click()
        check(page.get_by_label(t["field_local_start"], exact=True).get_attribute("aria-invalid") == "true"
              and page.get_by_text(t["error_local_start_skipped"]).first.is_visible(),
              "a time the clocks skip in Vilnius is refused, with the reason, beside the field")
        page.get_by_label(t["field_local_start"], exact=True).fill("2030-03-28T15:00")
        page.get_by_role("button", name=t["console_session_preview"]).click()
        washington = page.locator("#preview tr", has_text="America/New_York").inner_text()
        check(" 9:00" in washington, f"the preview shows 15:00 in Vilnius as 09:00 in Washington ({washington!r})")
        look("console-session-preview", "the session preview")
        page.get_by_role("button", name=t["console_session_create"]).click()
        check(page.get_by_role("heading", name="Quarterly strategic dialogue").is_visible(), "the session is created")
        session_page = page.url
        for name in ("Envoy Smith", "Sviatlana K.", "Zubr"):
            choose(t["field_participant_id"], name)
            page.get_by_role("button", name=t["console_invite"]).click()
        check(page.locator("#attendees tbody tr").count() == 3, "three participants invited")
        check(page.locator(".warnings", has_text="Transatlantic plenary").count() == 0, "nobody double-booked yet")
        cli("session", "invite", other, "--participant", page.locator("#attendees a", has_text="Envoy Smith").get_attribute("href").split("/")[-1])
        page.reload()
        check(page.locator(".warnings", has_text="Transatlantic plenary").is_visible(), "the envoy's double booking is flagged")

        # The agenda, without script: add, move up, remove.
        for title in ("Sanctions coordination", "Political prisoners", "Independent media"):
            page.locator("#item-title").fill(title)
            page.locator("#item-duration_minutes").fill("30")
            page.get_by_role("button", name=t["console_agenda_add"]).click()
        page.get_by_role("button", name=f"{t['console_up']}: Independent media").click()
        order = page.locator("#agenda tbody tr td:nth-child(2)").all_inner_texts()
        check(order == ["Sanctions coordination", "Independent media", "Political prisoners"], f"moved up ({order})")
        page.get_by_role("button", name=f"{t['console_remove']}: Political prisoners").click()
        order = page.locator("#agenda tbody tr td:nth-child(2)").all_inner_texts()
        check(order == ["Sanctions coordination", "Independent media"], f"removed ({order})")
        look("console-session", "a session with its agenda")

        # Workflow 4: held, an outcome, an action item from the adopted item.
        page.get_by_role("button", name=t["session_move_confirmed"]).click()
        page.get_by_role("button", name=t["session_move_held"]).click()
        check(page.locator("#facts").get_by_text(t["status_session_held"]).is_visible(), "the session is held")
        page.locator("#agenda").get_by_role("link", name="Sanctions coordination").click()
        page.get_by_label(t["field_outcome"], exact=True).select_option("adopted")
        page.get_by_role("button", name=t["console_save"]).click()
        page.locator("#action-title").fill("Draft the joint sanctions list")
        choose(t["field_owner_id"], "Sviatlana K.")
        page.get_by_label(t["field_due_on"], exact=True).fill("2030-06-30")
        choose(t["field_working_group_id"], "WG")
        page.get_by_role("button", name=t["console_action_create"]).click()
        check(page.locator("#actions tbody tr", has_text="Draft the joint sanctions list").is_visible(),
              "the adopted item has its action item, with an owner and a due date")
        look("console-agenda-item", "an agenda item with its outcome")
        console("console_action_items")
        check(page.get_by_role("link", name="Draft the joint sanctions list").is_visible(), "the action item is in the console's list")
        look("console-action-items", "the action items")
        console("console_review")
        look("console-review", "the review queue")

        # Workflow 6: the quarterly report, read, downloaded, frozen.
        console("console_report")
        page.get_by_label(t["field_quarter"], exact=True).fill("2030-Q1")
        page.get_by_role("button", name=t["console_report_show"]).click()
        look("console-report", "the report's page in the console")
        with page.expect_download() as download:
            page.get_by_role("link", name=t["console_report_json"]).first.click()
        document = json.load(open(download.value.path(), encoding="utf-8"))
        check(document.get("report", {}).get("quarter") == "2030-Q1" and len(document.get("sha256", "")) == 64,
              "the JSON download is the quarter's report with its hash")
        page.get_by_role("link", name=t["console_report_open"]).click()
        # The report is a page of its own: read it once it has arrived, not the page before.
        page.wait_for_url("**/console/report/view**")
        page.wait_for_load_state()
        check("Sanctions coordination" in page.content() and "Draft the joint sanctions list" in page.content(),
              "the printable report lists the decision and its action item")
        pages.shoot(page, "console-report-html")
        page.go_back()
        page.get_by_role("button", name=t["console_report_freeze"]).click()
        check(page.get_by_text(t["console_report_frozen_now"]).is_visible() and page.locator("#frozen").is_visible(),
              "the report is frozen, its copy offered for download")
        check(page.goto(base + "/console/audit").status == 403, "a coordinator has no audit trail page")
        page.context.close()

        # Workflow 7, by an administrator with JavaScript off, in English.
        t = en
        zubr_link = cli("participant", "invite", zubr_id, "--role", "member")
        zubr = browser.new_context(java_script_enabled=False)
        zubr_page = zubr.new_page()
        zubr_page.goto(zubr_link)
        zubr_page.get_by_label(t["invitation_choose_name"]).fill("zubr")
        zubr_page.get_by_label(t["invitation_choose_passphrase"]).fill("the proxy's own passphrase")
        zubr_page.get_by_role("button", name=t["invitation_submit"]).click()
        check(zubr_page.get_by_role("heading", name=t["home_title"]).is_visible(), "the in-country participant is signed in")
        page, key = enter(browser, pages, cli("participant", "invite", admin, "--role", "admin"), "admin-office", t,
                          java_script_enabled=False, viewport={"width": 390, "height": 900})
        page.get_by_role("link", name=t["nav_console"], exact=True).click()
        page.locator("nav.console").get_by_role("link", name=t["console_participants"], exact=True).click()
        page.get_by_role("link", name="Zubr", exact=True).click()
        check(page.locator("#web-sessions tbody tr").count() == 1, "the admin sees the participant's one open portal session")
        # The admin's pages scanned by axe too, in a context with script (axe is one) and the same sign-in.
        scan = browser.new_context(storage_state=page.context.storage_state(), viewport={"width": 1280, "height": 900})
        scan_page = scan.new_page()
        pages.watch(scan_page)
        scan_page.goto(page.url)
        pages.scanned(scan_page, "a participant's page with the admin's credentials and drill")
        scan_page.goto(base + "/console/audit")
        pages.scanned(scan_page, "the audit trail")
        scan_page.goto(base + "/console/webhooks")
        pages.scanned(scan_page, "the webhooks")
        scan.close()
        run_drill = page.get_by_role("button", name=t["console_drill_run"])
        run_drill.click()
        check(page.get_by_label(t["field_reason"], exact=True).get_attribute("aria-invalid") == "true", "the drill asks for a reason")
        page.get_by_label(t["field_reason"], exact=True).fill("Device seized at the border")
        page.get_by_label(t["field_passphrase"], exact=True).fill("not my passphrase at all")
        run_drill.click()
        check(page.get_by_label(t["field_passphrase"], exact=True).get_attribute("aria-invalid") == "true",
              "a wrong passphrase is refused beside the field")
        pages.shoot(page, "console-drill-refused")
        page.get_by_label(t["field_reason"], exact=True).fill("Device seized at the border")
        page.get_by_label(t["field_passphrase"], exact=True).fill(PASSPHRASE)
        run_drill.click()
        check(page.get_by_text(t["console_compromised"]).is_visible(), "the admin's own passphrase runs the drill")
        zubr_page.reload()
        check(zubr_page.get_by_role("heading", name=t["sign_in_title"]).is_visible(), "the participant's portal session ended at once")
        zubr.close()
        page.locator("nav.console").get_by_role("link", name=t["console_audit"], exact=True).click()
        check(page.get_by_text(t["console_audit_intact"].split("{1}")[0]).first.is_visible(), "the audit chain is intact")
        check(page.locator("#trail tbody tr", has_text="participant.compromise").count() == 1, "and it records the drill")
        pages.shoot(page, "console-audit")
        page.locator("nav.console").get_by_role("link", name=t["console_webhooks"], exact=True).click()
        page.get_by_label(t["field_url"], exact=True).fill("https://hooks.example.org/chat")
        page.get_by_role("button", name=t["console_create"]).click()
        secret = page.locator("#secret dd").last.inner_text()
        check(secret.startswith("whsec_") and page.locator("#list tbody tr").count() == 1,
              "the admin subscribes a webhook; its secret is shown once")
        pages.shoot(page, "console-webhooks")
        page.get_by_label(t["field_url"], exact=True).fill("http://127.0.0.1:9/hook")
        page.get_by_role("button", name=t["console_create"]).click()
        check(page.get_by_label(t["field_url"], exact=True).get_attribute("aria-invalid") == "true", "an address on this machine is refused")

        # Two tabs, one group: the later save comes back with the earlier one's values.
        page.locator("nav.console").get_by_role("link", name=t["console_groups"], exact=True).click()
        page.locator("table.list a").first.click()
        other_tab = page.context.new_page()
        other_tab.goto(page.url)
        page.get_by_label(t["field_mandate"], exact=True).fill("Coordinate sanctions with the EU and the UK.")
        page.get_by_role("button", name=t["console_save"]).first.click()
        other_tab.get_by_label(t["field_name"], exact=True).fill("Renamed in the other tab")
        other_tab.get_by_role("button", name=t["console_save"]).first.click()
        check(other_tab.get_by_role("heading", name=t["console_conflict_heading"]).is_visible()
              and other_tab.get_by_label(t["field_name"], exact=True).input_value() == "Renamed in the other tab"
              and other_tab.get_by_text("Coordinate sanctions with the EU and the UK.").is_visible(),
              "the later save is refused, the person's own value kept and the saved one shown beside it")
        pages.shoot(other_tab, "console-conflict")
        other_tab.get_by_role("button", name=t["console_save"]).first.click()
        check(other_tab.get_by_text(t["console_saved"]).is_visible(), "saved again after looking, it goes through")
        browser.close()
    check(not pages.foreign, f"the browser asked nothing of another origin ({pages.foreign[:3]})")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
