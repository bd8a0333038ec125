#!/usr/bin/env python3
"""E-mail and webhooks about notifications, against a real SMTP server and a real receiver (make test).

Starts aiosmtpd on loopback with a throwaway certificate, requiring STARTTLS, and the server
on a throwaway database with that relay (its certificate authority trusted by file). A
participant with an address asks, on their profile, for an e-mail whenever something happens;
an in-country participant cannot ask. Both are invited to a session: exactly one message
arrives, for the participant with the address, over TLS, saying only that one new item waits
(no session, no name), with a Message-ID from the delivery. Then the relay kills the server
the moment it receives the next message, before the server can mark it sent: restarted, the
server sends it again, with the same Message-ID, and no more.

An admin subscribes a webhook receiver on loopback (allowed here as in development) through the
API; the receiver checks every delivery's Standard Webhooks signature with the secret the API
showed once, and finds a count of notifications by kind that names nothing. A second
subscription whose receiver answers 500 counts its failures. Prints 'N passed, N failed'.
"""
import base64
import hashlib
import hmac
import http.server
import json
import threading
import email
import email.policy
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from browserchecks import binary, check, summary, throwaway_database


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook receiver: keeps each delivery with its headers; /failing answers 500."""
    deliveries = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
        Receiver.deliveries.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(500 if self.path == "/failing" else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


def verified(delivery, secret):
    """Standard Webhooks: v1, base64 HMAC-SHA256 of id.timestamp.body under the secret's bytes."""
    headers = {name.lower(): value for name, value in delivery["headers"].items()}
    signed = f"{headers.get('webhook-id')}.{headers.get('webhook-timestamp')}.{delivery['body']}".encode()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return expected in headers.get("webhook-signature", "").split(" ") and abs(time.time() - int(headers.get("webhook-timestamp", "0"))) < 300


class Inbox:
    """What the relay received; optionally kills the server on the next message."""

    def __init__(self):
        self.messages = []
        self.kill_on_next = None

    async def handle_DATA(self, server, session, envelope):
        received = {"to": list(envelope.rcpt_tos), "tls": session.ssl is not None,
                    "message": email.message_from_bytes(envelope.content, policy=email.policy.default)}
        if self.kill_on_next:
            # Dead before the message counts as arrived: the server never hears the 250.
            victim, self.kill_on_next = self.kill_on_next, None
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=15)
        self.messages.append(received)
        return "250 Message accepted"


def urllib_get_webhooks(base, token):
    request = urllib.request.Request(base + "/v1/webhooks", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["items"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    import ssl
    from aiosmtpd.controller import Controller

    folder = tempfile.mkdtemp(prefix="relay-")
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    relay = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True)
    relay.start()
    try:
        with throwaway_database("email") as database_url:
            return run(database_url, relay.port, cert, inbox)
    finally:
        relay.stop()


def run(database_url, relay_port, cert, inbox):
    program = binary()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DATABASE_URL=database_url, DIALOGUE_PUBLIC_URL=base, DIALOGUE_SMTP_HOST="127.0.0.1",
               DIALOGUE_SMTP_PORT=str(relay_port), DIALOGUE_SMTP_FROM="portal@dialogue.example", DIALOGUE_SMTP_CA_FILE=cert,
               DIALOGUE_EMAIL_INTERVAL_SECONDS="1", DIALOGUE_WEBHOOKS_ALLOW_LOOPBACK="1")
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}"
    log = tempfile.NamedTemporaryFile(prefix="email-", suffix=".log", delete=False)

    def start():
        server = subprocess.Popen([program, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log)
        for _ in range(150):
            try:
                if urllib.request.urlopen(base + "/readyz", timeout=2).status == 200:
                    return server
            except OSError:
                time.sleep(0.2)
        return server

    def cli(*args):
        return subprocess.check_output([program, *args], env=env, text=True, stderr=subprocess.DEVNULL).strip()

    def arrived(count, within=15):
        deadline = time.time() + within
        while time.time() < deadline and len(inbox.messages) < count:
            time.sleep(0.2)
        return len(inbox.messages)

    server = start()
    try:
        reader = cli("participant", "add", "--name", "Hanna Reader", "--kind", "diaspora")
        cli("participant", "update", reader, "--email", "hanna@example.org")
        proxy = cli("participant", "add", "--name", "Zubr", "--kind", "in_country_proxy")

        def signed_in(participant, name):
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            link = cli("participant", "invite", participant, "--role", "member")
            opener.open(urllib.request.Request(link, data=urllib.parse.urlencode(
                {"sign_in_name": name, "passphrase": "a long enough passphrase"}).encode()))
            return opener

        def preferences(opener, mode):
            page = opener.open(base + "/profile/notifications").read().decode()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            found = re.search(r'name="version" value="(\d+)"', page)
            version = found.group(1) if found else "0"
            fields = {"csrf": csrf, "email_mode": mode, "version": version, "event_session_invited": "1"}
            try:
                return opener.open(urllib.request.Request(base + "/profile/notifications", data=urllib.parse.urlencode(fields).encode())).status
            except urllib.error.HTTPError as error:
                return error.code

        admin = cli("participant", "add", "--name", "Admin Office", "--kind", "official")
        token = cli("token", "issue", "--participant", admin, "--role", "admin")

        def api(method, path, body):
            request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode(),
                                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            with urllib.request.urlopen(request) as response:
                return json.loads(response.read())

        secret = api("POST", "/v1/webhooks", {"url": f"{hook}/chat"})["secret"]
        api("POST", "/v1/webhooks", {"url": f"{hook}/failing", "events": ["session_invited"]})
        check(preferences(signed_in(proxy, "zubr"), "immediate") == 422, "an in-country participant cannot ask for e-mail")
        check(preferences(signed_in(reader, "hanna"), "immediate") == 200, "a participant with an address asks for e-mail when something happens")

        session = cli("session", "add", "--kind", "plenary", "--title", "Closed-door briefing", "--start", "2030-05-14T10:00",
                      "--timezone", "Europe/Vilnius", "--duration", "60").split()[0]
        cli("session", "invite", session, "--participant", reader)
        cli("session", "invite", session, "--participant", proxy)
        check(arrived(1) == 1, "one message arrives for the invitation")
        time.sleep(2)
        check(len(inbox.messages) == 1 and inbox.messages[0]["to"] == ["hanna@example.org"],
              f"only to the participant with the address ({[m['to'] for m in inbox.messages]})")
        first = inbox.messages[0]
        message = first["message"]
        body = message.get_body(preferencelist=("plain",)).get_content()
        check(first["tls"], "the relay was reached over STARTTLS")
        check("1 new item" in body and f"{base}/notifications" in body, "the message says one new item waits, and where")
        check("briefing" not in body.lower() and "briefing" not in str(message["Subject"]).lower() and "Zubr" not in body,
              "and names no session, no person")
        identifier = str(message["Message-ID"])
        chat = [d for d in Receiver.deliveries if d["path"] == "/chat"]
        check(len(chat) >= 1 and all(verified(d, secret) for d in chat), f"the webhook receiver verifies every signature ({len(chat)})")
        counted = sum(json.loads(d["body"])["data"]["count"] for d in chat)
        kinds = set().union(*(json.loads(d["body"])["data"]["events"].keys() for d in chat)) if chat else set()
        check(counted >= 2 and "session_invited" in kinds, f"and finds the invitations counted by kind ({counted}, {sorted(kinds)})")
        bodies = " ".join(d["body"] for d in chat)
        check(not any(word in bodies for word in ("briefing", "Zubr", "Hanna", reader, proxy, session)),
              "a webhook names no session, person or id")
        failing = [w for w in urllib_get_webhooks(base, token) if w["url"].endswith("/failing")]
        check(failing and failing[0]["failures"] >= 1, "a receiver that answers 500 counts as a failure")
        check(re.fullmatch(r"<delivery-\d+@127\.0\.0\.1>", identifier) is not None, f"its Message-ID comes from the delivery ({identifier})")

        # The server dies between handing the next message over and marking it sent.
        inbox.kill_on_next = server
        second = cli("session", "add", "--kind", "plenary", "--title", "Second briefing", "--start", "2030-06-14T10:00",
                     "--timezone", "Europe/Vilnius", "--duration", "60").split()[0]
        cli("session", "invite", second, "--participant", reader)
        check(arrived(2) == 2 and server.poll() is not None, "the relay got the next message, and the server died before marking it sent")
        server = start()
        check(arrived(3) == 3, "restarted, the server sends it again")
        time.sleep(3)
        ids = [str(m["message"]["Message-ID"]) for m in inbox.messages[1:]]
        check(len(inbox.messages) == 3 and ids[0] == ids[1] and ids[0] != identifier,
              f"exactly one duplicate, with the same Message-ID ({ids})")
    finally:
        receiver.shutdown()
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=15)
        log.close()
        os.unlink(log.name)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
