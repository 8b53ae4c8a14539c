"""Real HTTP servers on loopback, in a thread, that answer from a script: a webhook receiver and a
stand-in for GOV.UK Notify's API (the one call we make, with its documented authentication, answers
and errors). The code under test talks to them over real sockets through `requests`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

# Script steps, beside a status code (an int): close the connection without answering, or answer
# too late for the client's timeout.
DROP = "drop"
SLOW = "slow"


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Answer:
    status: int
    body: dict | str = ""
    headers: dict = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):  # noqa: N802 - the name http.server calls
        length = int(self.headers.get("Content-Length") or 0)
        request = Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                           self.rfile.read(length))
        server = self.server.owner
        with server.lock:
            server.received.append(request)
        answer = server.answer(request)
        if answer == DROP:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if answer == SLOW:
            time.sleep(server.slow_seconds)
            answer = Answer(200, "")
        body = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json" if not isinstance(answer.body, str) else "text/plain")
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())


class ScriptedServer:
    """Answers each request with the next step of `script` (then `then`), recording every request."""

    slow_seconds = 2.0

    def __init__(self, script=(), then=200):
        self.script = list(script)
        self.then = then
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def next_step(self):
        with self.lock:
            return self.script.pop(0) if self.script else self.then

    def answer(self, request):
        step = self.next_step()
        return Answer(step) if isinstance(step, int) else step

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


def url_of_nothing():
    """An http:// URL on loopback where nothing listens: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


# --- GOV.UK Notify -----------------------------------------------------------------------------------

NOTIFY_SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
NOTIFY_SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
NOTIFY_API_KEY = f"frontdoor_test-{NOTIFY_SERVICE_ID}-{NOTIFY_SECRET}"
NOTIFY_TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"

# Notify's documented error answers for POST /v2/notifications/email.
NOTIFY_ERRORS = {
    400: ("BadRequestError", "Can't send to this recipient using a team-only API key"),
    403: ("AuthError", "Invalid token: API key not found"),
    429: ("RateLimitError", "Exceeded rate limit for key type TEAM of 3000 requests per 60 seconds"),
    500: ("Exception", "Internal server error"),
}


def notify_error(status):
    # Beyond the documented ones (a 503 from the load balancer, say): Notify's shape, a generic error.
    error, message = NOTIFY_ERRORS.get(status, ("Exception", "Service unavailable"))
    return Answer(status, {"status_code": status, "errors": [{"error": error, "message": message}]})


class FakeNotify(ScriptedServer):
    """POST /v2/notifications/email as Notify documents it.

    Authentication as Notify checks it: an `Authorization: Bearer <JWT>` signed HS256 with the API
    key's secret, `iss` the service id, `iat` within 30 seconds of now; otherwise 403 AuthError.
    A valid request gets the next step of the script (a status code answers with Notify's documented
    error body for it); 201 answers with the documented response, echoing the reference.
    """

    def __init__(self, script=(), then=201, secret=NOTIFY_SECRET):
        super().__init__(script, then)
        self.secret = secret
        self.accepted: list[Received] = []

    def answer(self, request):
        if request.path != "/v2/notifications/email":
            return Answer(404, {"status_code": 404, "errors": [{"error": "NotFound", "message": "Not Found"}]})
        problem = self._auth_problem(request.headers.get("authorization", ""))
        if problem:
            return Answer(403, {"status_code": 403, "errors": [{"error": "AuthError", "message": problem}]})
        step = self.next_step()
        if step in (DROP, SLOW):
            return step
        if step != 201:
            return notify_error(step)
        body = request.json()
        missing = {"email_address", "template_id"} - set(body)
        if missing:
            return Answer(400, {"status_code": 400, "errors": [
                {"error": "ValidationError", "message": f"{sorted(missing)[0]} is a required property"}]})
        with self.lock:
            self.accepted.append(request)
        notification_id = str(uuid.uuid4())
        personalisation = body.get("personalisation", {})
        return Answer(201, {
            "id": notification_id,
            "reference": body.get("reference"),
            "content": {"subject": personalisation.get("subject", ""), "body": personalisation.get("body", ""),
                        "from_email": "frontdoor@notifications.service.gov.uk"},
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {"id": body["template_id"], "version": 1,
                         "uri": f"{self.url}/v2/template/{body['template_id']}"},
        })

    def _auth_problem(self, header):
        if not header.startswith("Bearer "):
            return "Unauthorized: authentication token must be provided"
        token = header.removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, key=self.secret, algorithms=["HS256"], options={"verify_iat": False})
        except jwt.InvalidTokenError:
            return "Invalid token: signature, api token not found"
        if claims.get("iss") != NOTIFY_SERVICE_ID:
            return "Invalid token: service not found"
        if abs(time.time() - int(claims.get("iat", 0))) > 30:
            return "Error: Your system clock must be accurate to within 30 seconds"
        return None
