#!/usr/bin/env python3
"""Sanctions dossiers, prisoner cases and evidence against the real server (make test; issue 19).

A movement member records a political-prisoner case (consent: internal) naming its judge in
Belarusian, opens a sanctions dossier on that judge in one step, attaches a photo carrying GPS
EXIF and a PDF, and writes the dossier with a claim citing both. The stored photo has no EXIF,
the received and stored hashes verify, and `dialogue-admin evidence verify` agrees. A reference
file in the OpenSanctions format, generated here, lists the judge with the EU under a Latin
spelling only: after `dialogue-admin reference import`, the gap table shows the EU listing him
and the US not. The FollowTheMoney export is validated by the `followthemoney` package
(`ftm validate`) and holds no Sanction entity; the public report and the public export never
show the internal-consent case. Prints 'N passed, N failed'.
"""
import hashlib
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from browserchecks import check, jpeg_with_gps, served, summary

BOUNDARY = "dialogue-check-boundary"


def call(base, method, path, token, body=None, raw=None, content_type="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def multipart(data, mime, fields=()):
    body = b""
    for name, value in fields:
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    body += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="IMG_2041 Homel.jpg"\r\n'
             f"Content-Type: {mime}\r\n\r\n").encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()
    return body


def oversized_upload(base, token, path, total=64 << 20):
    """Offers a 64 MiB upload a piece at a time over a raw socket: (status, bytes sent when the
    answer came). A server that buffered the body would answer only after all of it; this one
    answers once it has read past its 20 MiB limit (and the sockets' buffers)."""
    host, port = base.split("//")[1].split(":")
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"\r\nContent-Type: text/plain\r\n\r\n'.encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head) + total + len(tail)
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall((f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n").encode() + head)
        sent, piece = 0, b"a" * (64 << 10)
        while sent < total:
            if select.select([connection], [], [], 0)[0]:
                break
            try:
                connection.sendall(piece)
            except OSError:
                break
            sent += len(piece)
        answer = b""
        while b"\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
        status = int(answer.split(b" ")[1]) if answer.startswith(b"HTTP/1.1") else 0
        return status, sent


def main():
    with served("dossiers") as (base, cli):
        return run(base, cli)


def run(base, cli):
    movement = cli("org", "add", "--name", "Coordination Council", "--side", "movement")
    member = cli("participant", "add", "--name", "Mikola Sakalou", "--kind", "diaspora")
    coordinator = cli("participant", "add", "--name", "Maryia Kalesnik", "--kind", "diaspora")
    for person in (member, coordinator):
        cli("participant", "update", person, "--organization", movement)
    group = cli("group", "add", "--direction", "accountability", "--name", "Accountability")
    cli("group", "member", "add", "--group", group, "--participant", member, "--role", "member")
    member_token = cli("token", "issue", "--participant", member, "--role", "member")
    coordinator_token = cli("token", "issue", "--participant", coordinator, "--role", "coordinator")

    def proposal(kind, title):
        status, body, _ = call(base, "POST", "/v1/proposals", member_token,
                               {"working_group_id": group, "title": title, "kind": kind, "scale": "small"})
        created = json.loads(body)
        call(base, "POST", f"/v1/proposals/{created['id']}/transition", member_token, {"to": "submitted"})
        return created["id"]

    case = proposal("prisoner_case", "The case of M.")
    status, _, _ = call(base, "PUT", f"/v1/proposals/{case}/case", member_token, {
        "person_name": "Mikalai Statkevich", "detained_on": "2020-05-31", "articles": ["342"], "court": "Homel regional court",
        "judge": "Віктар Кавалёў", "status": "sentenced", "consent": "internal"})
    check(status == 200, "the case is recorded with consent internal")
    status, body, _ = call(base, "POST", f"/v1/proposals/{case}/case/dossier", member_token, {"role": "judge"})
    check(status == 201, "the case's judge becomes the target of a new dossier in one step")
    dossier = json.loads(body)["id"]

    photo = jpeg_with_gps()
    pdf = b"%PDF-1.7\n1 0 obj <</Author (Court secretary)>> endobj\ntrailer <<>>\n%%EOF\n"
    evidence = []
    for data, mime in ((photo, "image/jpeg"), (pdf, "application/pdf")):
        status, body, _ = call(base, "POST", f"/v1/proposals/{dossier}/evidence", member_token,
                               raw=multipart(data, mime, [("source_url", "https://spring96.example.org/case/1")]),
                               content_type=f"multipart/form-data; boundary={BOUNDARY}")
        record = json.loads(body)
        check(status == 201 and record["original_sha256"] == hashlib.sha256(data).hexdigest(),
              f"{mime}: received, its SHA-256 computed as it streamed in")
        evidence.append(record)
    check(evidence[1]["may_carry_metadata"] is True, "the PDF is flagged as possibly carrying metadata")
    status, stored, headers = call(base, "GET", f"/v1/evidence/{evidence[0]['id']}/content", member_token)
    check(status == 200 and b"Exif" not in stored and b"GPSLatitude" not in stored and stored.startswith(b"\xff\xd8"),
          "the stored photo carries no EXIF")
    check(hashlib.sha256(stored).hexdigest() == evidence[0]["stored_sha256"], "the stored copy's hash verifies")
    check(headers.get("Content-Disposition", "").startswith("attachment") and headers.get("X-Content-Type-Options") == "nosniff"
          and "sandbox" in headers.get("Content-Security-Policy", ""), "served as a sandboxed attachment")
    status, sent = oversized_upload(base, member_token, f"/v1/proposals/{dossier}/evidence")
    check(status == 413 and sent < 40 << 20, f"an oversized upload is refused with 413 after {sent >> 20} of 64 MiB, before the rest is sent")
    verified = cli("evidence", "verify")
    check(verified.startswith("ok: 2 files"), f"dialogue-admin evidence verify: {verified}")

    status, body, _ = call(base, "PUT", f"/v1/proposals/{dossier}/dossier", member_token, {
        "target_kind": "person", "names": ["Віктар Кавалёў", "Виктор Ковалёв"], "birth_date": "1968-04-12",
        "nationalities": ["BY"], "positions": [{"title": "Judge", "organization": "Homel regional court"}],
        "links": [{"relation": "acted_under", "name": "Chairman of the Homel regional court"}],
        "authorities": [{"authority": "eu", "programme": "Belarus"}, {"authority": "us", "programme": "BELARUS-EO14038"}],
        "reason": "Sentenced peaceful protesters.",
        "claims": [{"claim": "Presided over the trial", "evidence_ids": [e["id"] for e in evidence]}]})
    check(status == 200, "the dossier is written, its claim citing both files")
    call(base, "POST", f"/v1/proposals/{dossier}/transition", member_token, {"to": "submitted"})

    reference = os.path.join(tempfile.mkdtemp(), "entities.ftm.json")
    with open(reference, "w", encoding="utf-8") as handle:
        for entity in (
            {"id": "eu-fsf-kavaliou", "schema": "Person", "caption": "Viktar Kavaliou",
             "properties": {"name": ["Viktar Kavaliou"], "birthDate": ["1968-04-12"]}, "datasets": ["eu_fsf"]},
            {"id": "ofac-someone-else", "schema": "Person", "caption": "Viktar Kavalenka",
             "properties": {"name": ["Viktar Kavalenka"]}, "datasets": ["us_ofac_sdn"]},
        ):
            handle.write(json.dumps(entity) + "\n")
    imported = cli("reference", "import", reference, "--date", "2026-11-20")
    check(imported.startswith("imported 2 entities"), f"the reference file is imported: {imported}")
    status, body, _ = call(base, "GET", f"/v1/proposals/{dossier}/dossier/gaps", member_token)
    gaps = {row["authority"]: row for row in json.loads(body)["items"]}
    check(gaps.get("eu", {}).get("listed") is True and gaps.get("us", {}).get("listed") is False,
          "the gap table: the EU lists the judge, the US does not")

    status, export, _ = call(base, "GET", "/v1/dossiers/export.ftm", coordinator_token)
    path = os.path.join(tempfile.mkdtemp(), "export.ftm.json")
    with open(path, "wb") as handle:
        handle.write(export)
    validated = subprocess.run(["ftm", "validate", "-i", path, "-o", path + ".out"], capture_output=True, text=True)
    lines = [json.loads(line) for line in export.decode().splitlines() if line.strip()]
    out = [json.loads(line) for line in open(path + ".out", encoding="utf-8") if line.strip()] if validated.returncode == 0 else []
    check(validated.returncode == 0 and len(out) == len(lines) > 0,
          f"ftm validate accepts all {len(lines)} entities ({validated.stderr.strip()[-200:]})")
    kept = {entity["id"]: entity for entity in out}
    check(all(set(entity["properties"]) <= set(kept.get(entity["id"], {}).get("properties", {})) for entity in lines),
          "no property was dropped as invalid")
    check("Sanction" not in {entity["schema"] for entity in lines}, "a proposed designation is never a Sanction entity")
    check(b"Mikalai Statkevich" in export, "the internal export names the prisoner (consent: internal)")
    status, public, _ = call(base, "GET", "/v1/dossiers/export.ftm?audience=public", coordinator_token)
    check(status == 200 and b"Statkevich" not in public, "the public export does not")
    for fmt in ("json", "html"):
        status, report, _ = call(base, "GET", f"/v1/exports/quarterly?quarter=2026-Q4&audience=public&format={fmt}", coordinator_token)
        check(status == 200 and b"Statkevich" not in report and b'"sentenced":1' not in report,
              f"the public {fmt} report never shows the internal-consent case")
    status, report, _ = call(base, "GET", "/v1/exports/quarterly?quarter=2026-Q4", coordinator_token)
    total = json.loads(report)["report"]["total"]
    check(total.get("cases_by_status") == {"sentenced": 1} and total.get("dossiers_submitted") == 1,
          "the internal report counts the case and the dossier")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
