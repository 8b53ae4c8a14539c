"""A local SMTP server the fault tests control: it can refuse, be slow, and counts what it accepted.

aiosmtpd runs it on its own event loop in a thread of the test process; the Celery worker under test
is another process and reaches it over TCP like any mail server (EMAIL_HOST/EMAIL_PORT).

What a test can do with it:
- `answer_next(count, reply)`: the next `count` messages are answered with `reply` (say
  "451 4.3.0 Try again later" or "550 5.7.1 Refused") at the end of DATA, then it recovers;
- `answer_recipient(address, reply)`: RCPT TO for that address is answered with `reply` every time
  (a mailbox that does not exist);
- `data_reply_delay`: seconds to wait before answering the end of DATA. The message is accepted
  (counted) *before* that wait, as a real server writes it to its queue before it says 250: a client
  killed during the wait never hears the 250, yet the message will be delivered. That is the window
  in which a blind re-send would duplicate an email.
- `drop_after_accepting_next(count)`: the next `count` messages are accepted, then the connection is
  closed before the 250 is written: the client never learns that the message went.
- `accepted`: every message accepted, parsed; `message_ids()` counts them by Message-ID.
"""

import asyncio
import contextlib
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass

from aiosmtpd.controller import Controller


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class AcceptedMessage:
    message_id: str
    mail_from: str
    recipients: tuple
    message: email.message.EmailMessage
    accepted_at: float


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.server._recipient_reply(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.server._take_next_reply()
        if reply:
            return reply
        self.server._accept(envelope)
        if self.server._take_drop():
            server.transport.close()  # the reply below goes nowhere
            return "250 2.0.0 Message accepted for delivery"
        delay = self.server.data_reply_delay
        if delay:
            self.server._replies_pending(+1)
            try:
                await asyncio.sleep(delay)
            finally:
                self.server._replies_pending(-1)
        return "250 2.0.0 Message accepted for delivery"


class ControllableSMTPServer:
    def __init__(self, host="127.0.0.1", port=None):
        self.host = host
        self.port = port or free_port()
        self.data_reply_delay = 0.0
        self._lock = threading.Lock()
        self._controller = None
        self.reset()

    # Lifecycle

    def start(self):
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port,
                                      ready_timeout=10)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # Control

    def reset(self):
        """Forget what was accepted and every rule: a well-behaved, fast server again."""
        with self._lock:
            self.accepted = []
            self.refused = []
            self._next_replies = []
            self._recipient_replies = {}
            self._drops = 0
            self._pending = 0
            self._refuse_until = (0.0, None)
        self.data_reply_delay = 0.0

    def answer_next(self, count, reply):
        with self._lock:
            self._next_replies.extend([reply] * count)

    def answer_for(self, seconds, reply):
        """Answer every message with `reply` for the next `seconds`, then recover (an outage)."""
        with self._lock:
            self._refuse_until = (time.monotonic() + seconds, reply)

    def drop_after_accepting_next(self, count):
        with self._lock:
            self._drops += count

    def answer_recipient(self, address, reply):
        with self._lock:
            self._recipient_replies[address.lower()] = reply

    # Reading

    def message_ids(self):
        """How many times each Message-ID was accepted."""
        with self._lock:
            return Counter(message.message_id for message in self.accepted)

    def accepted_count(self):
        with self._lock:
            return len(self.accepted)

    def replies_pending(self):
        """Messages accepted whose 250 reply has not been written yet (see data_reply_delay)."""
        with self._lock:
            return self._pending

    def wait_for_accepted(self, count, timeout):
        deadline = time.monotonic() + timeout
        while self.accepted_count() < count:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    # Called by the handler on the server's thread

    def _recipient_reply(self, address):
        with self._lock:
            reply = self._recipient_replies.get(address.lower())
            if reply:
                self.refused.append((address, reply))
            return reply

    def _take_next_reply(self):
        with self._lock:
            until, reply = self._refuse_until
            if time.monotonic() < until:
                self.refused.append((None, reply))
                return reply
            if self._next_replies:
                reply = self._next_replies.pop(0)
                self.refused.append((None, reply))
                return reply
            return None

    def _take_drop(self):
        with self._lock:
            if self._drops:
                self._drops -= 1
                return True
            return False

    def _accept(self, envelope):
        parsed = email.message_from_bytes(envelope.original_content or envelope.content,
                                          policy=email.policy.default)
        with self._lock:
            self.accepted.append(AcceptedMessage(
                message_id=str(parsed["Message-ID"] or ""), mail_from=envelope.mail_from,
                recipients=tuple(envelope.rcpt_tos), message=parsed, accepted_at=time.monotonic()))

    def _replies_pending(self, change):
        with self._lock:
            self._pending += change
