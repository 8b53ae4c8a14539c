"""Every email is three templates: a subject, a plain text part and an HTML part in the NHS.UK style."""

import re
from pathlib import Path

import pytest

EMAILS = Path(__file__).resolve().parents[2] / "templates" / "emails"
NAMES = sorted({p.name.split(".")[0] for p in EMAILS.iterdir() if not p.name.startswith("_")})


def test_there_are_emails_to_check():
    assert len(NAMES) >= 15


@pytest.mark.parametrize("name", NAMES)
def test_each_email_has_a_subject_a_text_part_and_an_html_part(name):
    for suffix in ("subject.txt", "txt", "html"):
        assert (EMAILS / f"{name}.{suffix}").exists(), f"{name}.{suffix} is missing"
    html = (EMAILS / f"{name}.html").read_text()
    assert '{% extends "emails/_layout.html" %}' in html


def test_every_template_an_app_queues_exists():
    used = set()
    for path in Path(__file__).resolve().parents[2].glob("*/emails.py"):
        used |= set(re.findall(r'template="([a-z_]+)"', path.read_text()))
    used |= {"digest_staff", "digest_submitter", "digest_partner"}  # registered by the digest builders
    assert used, "no email functions found"
    assert sorted(used - set(NAMES)) == []
