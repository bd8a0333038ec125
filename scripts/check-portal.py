#!/usr/bin/env python3
"""The portal in a real browser (make test): Debian's chromium driven by Playwright.

Starts the server on a throwaway database and sets up a group, a session with an agenda and
action items with the CLI. Then, with JavaScript disabled as in Tor Browser's "Safest" mode, once
in English and once in Belarusian (controls found by their labels and roles, read from the
catalogs): a participant opens their invitation, reads their next session's agenda in their own
time zone, answers the invitation, downloads the session and uses and revokes a calendar feed,
drafts, edits and submits a proposal, and updates an action item; another member finds the
proposal and endorses it without learning who wrote it (an in-country proxy). An axe-core scan
(JavaScript on: axe is a script, the portal is not) of every page reached must find no
violation. Screenshots at 390 and 1280 px go to build/screens/. Every request the browser made
must be to the portal itself. Prints 'N passed, N failed'.
"""
import os
import re
import sys
import time
import urllib.error
import urllib.request

from browserchecks import CATALOGS, SCREENS, Pages, check, served, summary, totp


def main():
    with served("portal") as (base, cli):
        return run(base, cli)


def run(base, cli):
    from playwright.sync_api import sync_playwright

    group = cli("group", "add", "--direction", "media", "--name", "Independent media")
    session = cli("session", "add", "--kind", "working_group", "--group", group, "--title", "Q1 media working group",
                  "--start", "2030-03-28T10:00", "--timezone", "Europe/Vilnius", "--duration", "120").split()[0]

    def person(name, kind, zone=None):
        participant = cli("participant", "add", "--name", name, "--kind", kind)
        if zone:
            cli("participant", "update", participant, "--timezone", zone)
        cli("group", "member", "add", "--group", group, "--participant", participant, "--role", "member")
        cli("session", "invite", session, "--participant", participant)
        return participant

    # One author (an in-country proxy) and one endorser per language run.
    cast = {
        "en": (person("Zubr", "in_country_proxy", "America/New_York"), person("Hanna Kavaliova", "diaspora")),
        "be": (person("Bison", "in_country_proxy", "America/New_York"), person("Alesia Marozava", "diaspora")),
    }
    cli("agenda", "add", "--session", session, "--title", "Licensing of independent outlets", "--duration", "30",
        "--presenter", cast["en"][1])
    for language, (author, _) in cast.items():
        cli("action", "add", "--title", f"Brief the envoy on licensing ({language})", "--owner", author, "--due", "2030-01-31",
            "--group", group)
    link = cli("participant", "invite", cast["en"][0], "--role", "member")
    check(link.startswith(base + "/invitation/dlg_"), "the CLI prints a one-time portal link")

    pages = Pages(base)
    watch, shoot, scanned, foreign = pages.watch, pages.shoot, pages.scanned, pages.foreign
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])

        def fetch(url):
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, ""

        def participant_flow(language, invitation, sign_in_name):
            """PRODUCT.md workflows 3 and 5 with JavaScript off, every control found by its label
            or role in the run's language: the next session's agenda in the participant's own
            zone, an answer to the invitation, the calendar file and feed, a draft written,
            edited and submitted, an action item updated."""
            t = CATALOGS[language]
            author, endorser = cast[language]
            context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900},
                                          locale="be-BY" if language == "be" else "en-US")
            page = context.new_page()
            watch(page)
            page.goto(invitation)
            check(page.get_by_label(t["invitation_choose_name"]).is_visible(), f"[{language}] the invitation asks for a sign-in name, by its label")
            if language == "en":
                check("legal name" in page.content(), "the invitation says not to use a legal name")
                shoot(page, "invitation")
                page.get_by_label(t["invitation_choose_name"]).fill(sign_in_name)
                page.get_by_label(t["invitation_choose_passphrase"]).fill("short")
                page.get_by_role("button", name=t["invitation_submit"]).click()
                check(page.get_by_role("alert").is_visible()
                      and page.get_by_label(t["invitation_choose_passphrase"]).get_attribute("aria-invalid") == "true",
                      "a short passphrase is listed at the top and marked on its field")
                shoot(page, "invitation-error")
            page.get_by_label(t["invitation_choose_name"]).fill(sign_in_name)
            page.get_by_label(t["invitation_choose_passphrase"]).fill("correct horse battery staple")
            page.get_by_role("button", name=t["invitation_submit"]).click()
            check(page.get_by_role("heading", name=t["home_title"]).is_visible(), f"[{language}] the participant lands on the home page")
            home = page.content()
            check("Q1 media working group" in home and "America/New_York" in home and "Europe/Vilnius" in home,
                  f"[{language}] the next session shows in the participant's zone, with the meeting's beside it")
            check("4:00" in home or "04:00" in home, f"[{language}] 10:00 in Vilnius is 4:00 in New York")
            shoot(page, f"home-{language}")

            page.get_by_role("link", name="Q1 media working group").click()
            check(page.get_by_role("heading", name="Q1 media working group").is_visible(), f"[{language}] the session's page opens")
            agenda = page.get_by_role("region", name=t["agenda"]).inner_text()
            check("Licensing of independent outlets" in agenda and "Hanna Kavaliova" in agenda,
                  f"[{language}] the agenda shows its item and presenter")
            check("America/New_York" in page.content(), f"[{language}] the session's time is in the participant's zone")
            page.get_by_label(t["rsvp_yes"]).check()
            page.get_by_role("button", name=t["rsvp_save"]).click()
            check(page.get_by_role("status").inner_text().strip() == t["rsvp_saved"], f"[{language}] the answer to the invitation is saved")
            shoot(page, f"session-{language}")
            with page.expect_download() as download:
                page.get_by_role("link", name=t["session_ics"]).click()
            with open(download.value.path(), encoding="utf-8") as calendar:
                check("BEGIN:VCALENDAR" in calendar.read(), f"[{language}] the session downloads as a calendar file")
            page.get_by_role("button", name=t["feed_issue"]).click()
            feed = page.get_by_label(t["feed_url"]).input_value()
            check(feed.startswith(base + "/v1/calendar/dlg_"), f"[{language}] a private calendar address is shown once")
            status, body = fetch(feed)
            check(status == 200 and "Q1 media working group" in body, f"[{language}] the calendar address serves the sessions")
            shoot(page, f"feed-{language}")
            page.get_by_role("link", name=t["nav_profile"], exact=True).click()
            page.get_by_role("button", name=t["feed_revoke"]).first.click()
            check(page.get_by_role("status").inner_text().strip() == t["profile_notice_feed"], f"[{language}] the calendar address is revoked")
            check(fetch(feed)[0] == 404, f"[{language}] a revoked calendar address stops working")

            title = f"Release of the editors of Nasha Niva ({language})"
            page.get_by_role("link", name=t["nav_proposals"], exact=True).click()
            page.get_by_role("link", name=t["proposal_new"]).click()
            page.get_by_label(t["label_group"]).select_option(label="Independent media")
            page.get_by_label(t["label_kind"]).select_option("prisoner_case")
            page.get_by_role("button", name=t["proposal_save_draft"]).click()
            check(page.get_by_label(t["label_title"]).get_attribute("aria-invalid") == "true", f"[{language}] a draft without a title is refused beside the field")
            shoot(page, f"proposal-form-error-{language}")
            page.get_by_label(t["label_title"]).fill(title.replace("Release", "Freedom"))
            page.get_by_label(t["label_summary"]).fill("Two editors held since 2021.")
            page.get_by_label(t["label_body"]).fill("Case details.\nSecond paragraph.")
            page.get_by_role("button", name=t["proposal_save_draft"]).click()
            check(page.get_by_role("status").inner_text().strip() == t["proposal_notice_created"], f"[{language}] the draft is saved")
            page.get_by_role("link", name=t["proposal_edit"]).click()
            page.get_by_label(t["label_title"]).fill(title)
            page.get_by_role("button", name=t["proposal_save"]).click()
            check(page.get_by_role("heading", name=title).is_visible(), f"[{language}] the edited draft keeps the new title")
            page.get_by_role("button", name=t["move_submitted"]).click()
            check(page.get_by_role("status").inner_text().strip() == t["proposal_notice_moved"]
                  and t["status_submitted"] in page.content(), f"[{language}] the draft is submitted")
            shoot(page, f"proposal-{language}")

            page.get_by_role("link", name=t["nav_home"], exact=True).click()
            page.get_by_role("link", name=f"Brief the envoy on licensing ({language})").click()
            page.get_by_label(t["label_status"]).select_option("in_progress")
            page.get_by_label(t["label_progress"]).fill("40")
            page.get_by_label(t["action_note"]).fill("Letter drafted, meeting asked for")
            page.get_by_role("button", name=t["action_save"]).click()
            check(page.get_by_role("status").inner_text().strip() == t["action_saved"]
                  and "Letter drafted, meeting asked for" in page.content(), f"[{language}] the owner updates the action item")
            shoot(page, f"action-item-{language}")
            # Invited to the session and given the action item by the operator: two notifications.
            page.get_by_role("link", name=re.compile("^" + re.escape(t["nav_notifications"]) + r" \(2\)$")).click()
            check(page.get_by_text(t["notify_session_invited"]).is_visible() and page.get_by_text(t["notify_action_assigned"]).is_visible(),
                  f"[{language}] the header counts two notifications, and the list says what they are")
            page.get_by_role("link", name="Q1 media working group").click()
            check(page.get_by_role("heading", name="Q1 media working group").is_visible(), f"[{language}] a notification leads to its object")
            check(page.get_by_role("link", name=re.compile("^" + re.escape(t["nav_notifications"]) + r" \(1\)$")).is_visible(),
                  f"[{language}] and is read once followed")
            page.get_by_role("link", name=re.compile("^" + re.escape(t["nav_notifications"]))).click()
            shoot(page, f"notifications-{language}")
            page.get_by_role("button", name=t["notifications_read_all"]).click()
            check(page.get_by_role("link", name=t["nav_notifications"], exact=True).is_visible(), f"[{language}] all read, no count")
            page.get_by_role("button", name=t["sign_out"], exact=True).click()
            check(page.get_by_role("heading", name=t["sign_in_title"]).is_visible(), f"[{language}] signing out leads to sign-in")
            context.close()

            # Another member of the group finds the proposal and endorses it; the author, an
            # in-country proxy, is not named to them anywhere on the page.
            context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900},
                                          locale="be-BY" if language == "be" else "en-US")
            page = context.new_page()
            watch(page)
            page.goto(cli("participant", "invite", endorser, "--role", "member"))
            page.get_by_label(t["invitation_choose_name"]).fill(sign_in_name + "_friend")
            page.get_by_label(t["invitation_choose_passphrase"]).fill("another long passphrase")
            page.get_by_role("button", name=t["invitation_submit"]).click()
            page.get_by_role("link", name=t["nav_proposals"], exact=True).click()
            page.get_by_label(t["proposals_query"]).fill("Nasha Niva")
            page.get_by_role("button", name=t["proposals_search"]).click()
            page.get_by_role("link", name=title).click()
            page.get_by_role("button", name=t["endorse"]).click()
            check(page.get_by_role("status").inner_text().strip() == t["proposal_notice_endorsed"], f"[{language}] another member endorses it")
            endorsers = page.get_by_role("region", name=t["endorsements"]).inner_text()
            author_name = "Zubr" if language == "en" else "Bison"
            check(("Hanna" in endorsers or "Alesia" in endorsers) and author_name not in page.content(),
                  f"[{language}] the endorsement is listed; the proxy author is not named")
            shoot(page, f"proposal-endorsed-{language}")
            context.close()

        participant_flow("en", link, "zubr")
        participant_flow("be", cli("participant", "invite", cast["be"][0], "--role", "member"), "zubr_be")

        # Sign-in by name, and the language switch on a page.
        context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900})
        page = context.new_page()
        watch(page)
        page.goto(base + "/signin")
        shoot(page, "signin")
        page.get_by_label("Sign-in name").fill("ZUBR")
        page.get_by_label("Passphrase").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign in").click()
        check(page.get_by_role("heading", name="Your dialogue").is_visible(), "signing in again by name works")
        page.get_by_label("Language", exact=True).select_option("be")
        page.get_by_role("button", name="Change language").click()
        check(page.get_by_role("heading", name="Ваш дыялог").is_visible(), "the portal speaks Belarusian when asked")
        page.get_by_label("Мова", exact=True).select_option("en")
        page.get_by_role("button", name="Змяніць мову").click()
        context.close()

        scan = browser.new_context(viewport={"width": 1280, "height": 900})
        page = scan.new_page()
        watch(page)
        second = cli("participant", "invite", cast["en"][0], "--role", "member")
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
        page.get_by_role("link", name="Brief the envoy on licensing (en)").click()
        scanned(page, "the action item page")
        page.get_by_role("link", name="Action items", exact=True).click()
        scanned(page, "the action items list")
        page.get_by_role("link", name=re.compile("^Notifications")).click()
        scanned(page, "the notifications")
        shoot(page, "actions")
        page.get_by_role("link", name="Working groups", exact=True).click()
        scanned(page, "the working groups page")
        shoot(page, "groups")
        page.get_by_role("link", name="Independent media").click()
        scanned(page, "a working group's page")
        shoot(page, "group")
        page.get_by_role("link", name="Q1 media working group").click()
        scanned(page, "a session's page")
        page.emulate_media(media="print")
        page.pdf(path=os.path.join(SCREENS, "session-print.pdf"), format="A4")
        check(not page.get_by_role("group", name="Will you take part?").is_visible()
              and not page.get_by_role("heading", name="Your private calendar feed").is_visible()
              and page.get_by_role("heading", name="Agenda").is_visible(), "printed, a session is its content without forms")
        page.emulate_media(media="screen")
        page.get_by_role("button", name="Create a private calendar address").click()
        scanned(page, "the calendar address page")
        page.get_by_role("link", name="Proposals", exact=True).click()
        page.get_by_label("Status").select_option("submitted")
        page.get_by_role("button", name="Search proposals").click()
        scanned(page, "the proposals search")
        shoot(page, "proposals")
        page.get_by_role("link", name="Release of the editors of Nasha Niva (en)").click()
        scanned(page, "a proposal's page")
        page.goto(base + "/proposals/new")
        page.get_by_role("button", name="Save the draft").click()
        scanned(page, "the proposal form with errors")
        page.get_by_label("Title").fill("A second draft")
        page.get_by_role("button", name="Save the draft").click()
        page.get_by_role("link", name="Edit the draft").click()
        scanned(page, "the draft's edit form")
        page.get_by_role("link", name="Profile", exact=True).click()
        scanned(page, "the profile page")
        page.get_by_label("Your time zone").fill("Mars/Olympus")
        page.get_by_role("button", name="Save my settings").click()
        scanned(page, "the profile page with an error")
        shoot(page, "profile-error")
        page.get_by_label("Your time zone").fill("Europe/Minsk")
        page.get_by_role("button", name="Save my settings").click()
        check(page.get_by_label("Your time zone").input_value() == "Europe/Minsk", "the profile's time zone is saved")
        shoot(page, "profile")
        scan.close()

        # A coordinator enters: sets up the second factor from the key shown as text, then
        # signs in again with a code — without JavaScript, as everything else.
        coordinator = cli("participant", "add", "--name", "Envoy office", "--kind", "official")

        def enter_as_coordinator(context):
            """A new tab of the context, on the far side of a fresh coordinator invitation."""
            page = context.new_page()
            watch(page)
            page.goto(cli("participant", "invite", coordinator, "--role", "coordinator"))
            page.get_by_label("Choose a sign-in name").fill("envoy")
            page.get_by_label("Choose a passphrase").fill("a coordinator's passphrase")
            page.get_by_role("button", name="Create my sign-in and enter").click()
            return page

        context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900})
        page = enter_as_coordinator(context)
        check(page.get_by_role("heading", name="Set up your second factor").is_visible(), "a coordinator is asked to set up a second factor")
        shoot(page, "second-factor-setup")
        key = page.get_by_label("Key", exact=True).inner_text()
        page.get_by_label("One-time code").fill("000000")
        page.get_by_role("button", name="Confirm and sign in").click()
        check(page.get_by_label("One-time code").get_attribute("aria-invalid") == "true", "a wrong code is said beside its field")
        page.get_by_label("One-time code").fill(totp(key))
        page.get_by_role("button", name="Confirm and sign in").click()
        check(page.get_by_role("heading", name="Your dialogue").is_visible(), "the right code from the typed key lets the coordinator in")
        page.get_by_role("button", name="Sign out", exact=True).click()
        page.get_by_label("Sign-in name").fill("envoy")
        page.get_by_label("Passphrase").fill("a coordinator's passphrase")
        page.get_by_role("button", name="Sign in").click()
        check(page.get_by_role("heading", name="Enter your one-time code").is_visible(), "signing in again asks for a code")
        shoot(page, "second-factor-code")
        time.sleep(max(0.0, 30.5 - time.time() % 30))  # the code of the next step: a code works once
        page.get_by_label("One-time code").fill(totp(key))
        page.get_by_role("button", name="Sign in").click()
        check(page.get_by_role("heading", name="Your dialogue").is_visible(), "and the next code signs the coordinator in")
        page.get_by_role("link", name="Console", exact=True).click()
        page.get_by_role("link", name="Participants", exact=True).click()
        page.get_by_role("button", name="Invite to the portal: Zubr").click()
        link = page.locator("#invitation-link").inner_text()
        check(link.startswith(base + "/invitation/dlg_"), "the coordinator invites a participant from the directory; the link is shown once")
        shoot(page, "invitation-issued")
        context.close()
        axe_context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = enter_as_coordinator(axe_context)
        scanned(page, "the second factor's setup page")
        page.get_by_role("button", name="Confirm and sign in").click()
        scanned(page, "the second factor's setup page with an error")
        page.get_by_label("One-time code").fill(totp(page.get_by_label("Key", exact=True).inner_text()))
        page.get_by_role("button", name="Confirm and sign in").click()
        page.get_by_role("link", name="Console", exact=True).click()
        page.get_by_role("link", name="Participants", exact=True).click()
        scanned(page, "the directory")
        shoot(page, "directory")
        page.get_by_role("button", name="Invite to the portal: Hanna Kavaliova").click()
        scanned(page, "an issued invitation")
        axe_context.close()
        browser.close()
    check(not foreign, f"the browser asked nothing of another origin ({foreign[:3]})")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
