#!/usr/bin/env python3
"""Reads an iCalendar file with an independent library (icalendar) and prints, per event,
what a calendar client would show: UID, status, sequence, and the start in UTC, in the
event's own zone, and in Washington. Exits non-zero on anything RFC 5545 forbids that a
client would trip over: bare LF line ends, lines over 75 octets, a TZID with no VTIMEZONE."""
import json
import sys
from zoneinfo import ZoneInfo

import icalendar

raw = open(sys.argv[1], "rb").read()
problems = []
if b"\n" in raw.replace(b"\r\n", b""):
    problems.append("bare LF line ending")
for number, line in enumerate(raw.split(b"\r\n"), 1):
    if len(line) > 75:
        problems.append(f"line {number} is {len(line)} octets")

calendar = icalendar.Calendar.from_ical(raw)
zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
events = []
for event in calendar.walk("VEVENT"):
    start = event.decoded("DTSTART")
    tzid = event["DTSTART"].params.get("TZID")
    if tzid and tzid not in zones:
        problems.append(f"TZID {tzid} has no VTIMEZONE")
    for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE"):
        if required not in event:
            problems.append(f"event without {required}")
    events.append({
        "uid": str(event["UID"]),
        "summary": str(event["SUMMARY"]),
        "status": str(event.get("STATUS", "")),
        "sequence": int(event.get("SEQUENCE", 0)),
        "start_utc": start.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M"),
        "start_local": start.astimezone(ZoneInfo(tzid)).strftime("%Y-%m-%dT%H:%M") if tzid else None,
        "start_washington": start.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%dT%H:%M"),
        "text": event.to_ical().decode(),
    })
print(json.dumps({"problems": problems, "events": events}))
sys.exit(1 if problems else 0)
