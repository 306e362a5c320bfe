#!/usr/bin/env python3
"""A Veriff webhook receiver in plain Python (standard library only).

Correct by default: it verifies X-HMAC-SIGNATURE (HMAC-SHA256 of the raw body, keyed with the
shared secret, hex compared case-insensitively in constant time), answers 200 to every signed
JSON object (unknown fields and unknown event types included, duplicates included), 401 to a
missing or wrong signature, 400 to a body that is not a JSON object.

Flags (or environment) break it on purpose, one mistake at a time, the way integrators do:

    --flaw skip-signature       accept any signature, or none
    --flaw restringify          hash json.dumps(json.loads(body)) instead of the raw body
    --flaw trim-body            hash body.strip() instead of the raw body
    --flaw case-sensitive-hex   compare the hex string as is
    --flaw prefix-signature     accept when the expected hex starts with the one given
    --flaw strict-schema        400 on top-level fields it does not know
    --flaw unknown-kind-500     500 on event types it does not know
    --flaw null-person-500      500 on a decision or Full Auto webhook with null person/document,
                                or a decision with a null person.firstName
    --flaw not-idempotent       500 on a second delivery of the same body
    --flaw slow                 answer after 3 seconds

Usage: receiver.py [--port 0] [--secret S] [--flaw NAME] [--serial] [--delay SECONDS]
--serial serves one request at a time (HTTPServer, as a sync worker or `php -S` would), and
--delay waits before each answer: still correct, only slower.
Environment: VERIFF_SHARED_SECRET, RECEIVER_FLAW.
Prints "url: http://127.0.0.1:PORT/" once it listens; it listens on 127.0.0.1 only.
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

DOCS_SECRET = "abcdef12-abcd-abcd-abcd-abcdef012345"
FLAWS = (
    "skip-signature",
    "restringify",
    "trim-body",
    "case-sensitive-hex",
    "prefix-signature",
    "strict-schema",
    "unknown-kind-500",
    "null-person-500",
    "not-idempotent",
    "slow",
)
KNOWN_EVENT_TYPES = {
    "user-status.created",
    "fullauto",
    "ine_registry",
    "combined-ine-curp-registry",
}
# Top-level fields of every kind this receiver was written for (strict-schema only).
KNOWN_TOP_LEVEL = {
    "status", "verification", "technicalData", "id", "attemptId", "feature", "code", "action",
    "vendorData", "endUserId", "data", "time", "eventType", "sessionId", "checkType",
    "matchStatus", "searchTerm", "totalHits", "createdAt", "hits", "version", "acceptanceTime",
    "type",
}


def kind_of(payload):
    """The kind by shape, as Veriff sends no envelope; None for an unknown event type."""
    event_type = payload.get("eventType")
    if isinstance(event_type, str):
        return event_type if event_type in KNOWN_EVENT_TYPES else None
    if isinstance(payload.get("type"), str):
        return "curp" if payload["type"] == "curp_registry" else None
    if isinstance(payload.get("verification"), dict):
        return "decision"
    if "matchStatus" in payload or "checkType" in payload:
        return "watchlist"
    if payload.get("action") in ("started", "submitted"):
        return "event"
    return None


def null_person_or_document(payload):
    """A decision or Full Auto webhook whose person or document is null or absent, or a decision
    whose person has no first name (nothing was read)."""
    kind = kind_of(payload)
    if kind == "decision":
        verification = payload["verification"]
    elif kind == "fullauto" and isinstance(payload.get("data"), dict):
        verification = payload["data"].get("verification")
    else:
        return False
    if not isinstance(verification, dict):
        return False
    person = verification.get("person")
    if person is None or verification.get("document") is None:
        return True
    return kind == "decision" and isinstance(person, dict) and person.get("firstName") is None


class State:
    def __init__(self, secret, flaw, delay=0.0):
        self.secret = secret.encode("utf-8")
        self.flaw = flaw
        self.delay = delay
        self.seen = set()
        self.lock = threading.Lock()


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        server_version = "receiver.py"

        def log_message(self, *args):  # quiet
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def signature_ok(self, body):
            if state.flaw == "skip-signature":
                return True
            if state.flaw == "prefix-signature":
                header = self.headers.get("x-hmac-signature")
                if header is None:
                    return False
                expected = hmac.new(state.secret, body, hashlib.sha256).hexdigest()
                return expected.startswith(header.strip().lower())
            given = (self.headers.get("x-hmac-signature") or "").strip()
            if not given:
                return False
            signed = body
            if state.flaw == "trim-body":
                signed = body.strip()
            if state.flaw == "restringify":
                try:
                    parsed = json.loads(body)
                except ValueError:
                    return False
                signed = json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode()
            expected = hmac.new(state.secret, signed, hashlib.sha256)
            if state.flaw == "case-sensitive-hex":
                return given == expected.hexdigest()
            try:
                given_bytes = bytes.fromhex(given)
            except ValueError:
                return False
            return hmac.compare_digest(given_bytes, expected.digest())

        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            if state.flaw == "slow":
                time.sleep(3)
            elif state.delay > 0:
                time.sleep(state.delay)
            if not self.signature_ok(body):
                return self.answer(401, {"error": "signature mismatch"})
            try:
                payload = json.loads(body)
            except ValueError as e:
                return self.answer(400, {"error": f"not JSON: {e}"})
            if not isinstance(payload, dict):
                return self.answer(400, {"error": "not a JSON object"})
            if state.flaw == "strict-schema":
                unknown = sorted(set(payload) - KNOWN_TOP_LEVEL)
                if unknown:
                    return self.answer(400, {"error": f"unknown field {unknown[0]}"})
            if state.flaw == "unknown-kind-500" and kind_of(payload) is None:
                return self.answer(500, {"error": "unknown event type"})
            if state.flaw == "null-person-500" and null_person_or_document(payload):
                return self.answer(500, {"error": "person or document is null"})
            if state.flaw == "not-idempotent":
                key = hashlib.sha256(body).hexdigest()
                with state.lock:
                    again = key in state.seen
                    state.seen.add(key)
                if again:
                    return self.answer(500, {"error": "already processed"})
            return self.answer(200, {"status": "ok"})

        def do_GET(self):
            self.answer(405, {"error": "webhooks are POST"})

    return Handler


def main():
    parser = argparse.ArgumentParser(description="A Veriff webhook receiver, correct unless told otherwise.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", default=os.environ.get("VERIFF_SHARED_SECRET", DOCS_SECRET))
    parser.add_argument("--flaw", choices=FLAWS, default=os.environ.get("RECEIVER_FLAW") or None)
    parser.add_argument("--serial", action="store_true", help="serve one request at a time")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before each answer")
    args = parser.parse_args()
    if not args.secret.strip():
        parser.error("the shared secret is empty")
    handler = make_handler(State(args.secret, args.flaw, args.delay))
    if args.serial:
        server = HTTPServer(("127.0.0.1", args.port), handler)
    else:
        server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
        server.daemon_threads = True
    print(f"url: http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
