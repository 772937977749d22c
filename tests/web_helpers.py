"""Test helpers for the web pages: the form token of a page, logging in, audited refusals."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridmarket.access.audit import AuditEntry

PASSWORD = "correct horse battery staple"


def csrf(page_html: str) -> str:
    """The CSRF token of the first form on the page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Log in through the login form (after clearing any earlier session)."""
    client.cookies.clear()
    response = client.post("/login", data={"csrf_token": csrf(client.get("/login").text),
                                           "email": email, "password": password, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def refusals(engine: Engine) -> int:
    """How many refusals the audit log holds."""
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.outcome != "ok")) or 0


def nav_labels(page_html: str) -> list[str]:
    """The labels of the main navigation's links."""
    nav = page_html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<a href=\"[^\"]+\"[^>]*>([^<]+)</a>", nav)


INLINE_TAGS = re.compile(r"</?(?:a|abbr|b|code|em|i|span|strong|time)\b[^>]*>")


def text_of(page_html: str) -> str:
    """The page's text as read: inline tags dropped, other tags a space, spaces single."""
    return " ".join(re.sub(r"<[^>]+>", " ", INLINE_TAGS.sub("", page_html)).split())
