"""A real IMAP server for the mailbox tests: Debian's Dovecot, configured in a temporary directory.

Each `Dovecot` listens on 127.0.0.1 on two free ports: plain IMAP that offers STARTTLS (and refuses
a password before it), and IMAP over TLS. Its certificate is made here, for 127.0.0.1 and localhost,
and is the only authority the portal trusts in these tests (MAILBOX_CA_FILE). Everything it writes
(sockets, state, log, maildirs) stays in its directory, so it never meets a system Dovecot.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import ipaddress
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)

CONFIG = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{dir}/cert.pem
ssl_key = <{dir}/key.pem
disable_plaintext_auth = yes
auth_failure_delay = 0
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{dir}/mail/%u
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_certificate(directory: Path):
    """A self-signed certificate for 127.0.0.1 and localhost; returns the PEM file's path."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    # OpenSSL checks validity against the machine's real clock, and a test run may travel the clock
    # (TEST_NOW) years away from it: valid for ten years either side, whatever the test's date.
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=3650)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.chmod(directory / "key.pem", 0o600)
    return directory / "cert.pem"


@dataclass
class Account:
    user: str
    password: str


class Dovecot:
    """One Dovecot process; `stop()` ends it and removes its directory."""

    def __init__(self):
        # Not pytest's tmp_path: that is private to root, and Dovecot's unprivileged processes
        # (login, mail) must read their files.
        self.dir = Path(tempfile.mkdtemp(prefix="hp-dovecot-"))
        os.chmod(self.dir, 0o755)  # noqa: S103 - a throwaway test directory Dovecot's users must read
        self.imap_port, self.imaps_port = free_port(), free_port()
        self.password = "correct-horse-battery-staple"  # no spaces: passdb args split on them
        self.process = None
        if os.geteuid() == 0:
            # Dovecot refuses mail access as root; the mail processes run as `nobody`.
            mail_user = pwd.getpwnam("nobody")
            internal = ("dovecot", "dovecot", "dovenull")
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            me = mail_user.pw_name
            internal = (me, me, me)
        self.uid, self.gid = mail_user.pw_uid, mail_user.pw_gid
        self.internal_user, self.internal_group, self.login_user = internal

    def add_account(self, user):
        """Any user name logs in with the server's one password, to a maildir of its own (a static
        passdb: a passwd-file changed within the same second is not read again)."""
        return Account(user, self.password)

    def start(self):
        for sub in ("run", "state", "mail", "home"):
            (self.dir / sub).mkdir(exist_ok=True)
        for sub in ("mail", "home"):
            os.chown(self.dir / sub, self.uid, self.gid)
        self.ca_file = make_certificate(self.dir)
        (self.dir / "dovecot.conf").write_text(CONFIG.format(
            dir=self.dir, uid=self.uid, gid=self.gid, imap_port=self.imap_port, imaps_port=self.imaps_port,
            password=self.password, internal_user=self.internal_user, internal_group=self.internal_group, login_user=self.login_user))
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.dir / "dovecot.conf")],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Dovecot exited: {self.process.stdout.read().decode()} {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.imaps_port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"Dovecot did not listen within 15 s: {self.log()}")

    def log(self):
        path = self.dir / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- The test's own IMAP client (seeding and checking), as a person's mail program would --------

    def client(self, account):
        context = ssl.create_default_context(cafile=str(self.ca_file))
        connection = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=context)
        connection.login(account.user, account.password)
        return connection

    def append(self, account, raw: bytes, folder="INBOX", flags=""):
        """Deliver a message as IMAP APPEND does; returns its UID (UIDPLUS)."""
        with self.client(account) as imap:
            if folder != "INBOX":
                imap.create(folder)
            status, data = imap.append(folder, flags, None, raw)
            assert status == "OK", data
            # [APPENDUID <uidvalidity> <uid>]
            code = data[0].decode()
            return int(code.split("APPENDUID ")[1].split()[1].rstrip("]"))

    def flags(self, account, folder="INBOX"):
        """{uid: set of flags} for every message in a folder."""
        with self.client(account) as imap:
            status, _ = imap.select(_quote(folder), readonly=True)
            if status != "OK":
                return {}
            status, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            result = {}
            for line in data:
                if not line:
                    continue
                text = line.decode() if isinstance(line, bytes) else line[0].decode()
                uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                flag_text = text.split("FLAGS (")[1].split(")")[0]
                result[uid] = set(flag_text.split())
            return result


def _quote(folder):
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
