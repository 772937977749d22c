"""Rendering pages: the templates, their filters, notices after a redirect, security headers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from gridmarket.calendar import MarketCalendar
from gridmarket.config import MarketParameters, Settings
from gridmarket.credit.money import usd
from gridmarket.web.csrf import CSRF_COOKIE, csrf_token
from gridmarket.web.navigation import navigation
from gridmarket.web.viewer import Viewer

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

NOTICE_COOKIE = "gridmarket_notice"
"""Carries a one-line confirmation across the redirect that follows a form post."""

SECURITY_HEADERS = {
    # Every asset is served from this site; nothing inline but SVG markup.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@pass_context
def _market_time(context: Context, instant: datetime | None, with_zone: bool = True) -> str:
    """An instant in market (Pacific) time, e.g. ``Wed 01 Jul 2020 09:00 PDT``."""
    if instant is None:
        return ""
    timezone: ZoneInfo = context["timezone"]
    local = instant.astimezone(timezone)
    return local.strftime("%a %d %b %Y %H:%M %Z" if with_zone else "%a %d %b %Y %H:%M")


def _day(value: date | None) -> str:
    return value.strftime("%a %d %b %Y") if value is not None else ""


def _money(value: Decimal | None) -> str:
    """Dollars and cents, the sign first: ``-$1,234.56``."""
    return usd(value) if value is not None else ""


def _rate(value: Decimal | None) -> str:
    """A unit price with the decimals it has, at least two: ``0.005``, ``1,000.00``."""
    if value is None:
        return ""
    whole, _, fraction = f"{value:,.6f}".rstrip("0").partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


ACRONYMS = frozenset({"iso", "sc", "scid", "ra", "hvdc", "eft", "dlap", "ngr", "rmr", "uaa"})


def _words(value: object) -> str:
    """``IN_CERTIFICATION`` → ``In certification``; ``ISO_METERED`` → ``ISO metered``."""
    words = str(getattr(value, "value", value)).replace("_", " ").lower().split(" ")
    text = " ".join(w.upper() if w in ACRONYMS else w for w in words)
    return text[:1].upper() + text[1:]


def _size(size_bytes: int) -> str:
    """A file size people read: ``512 bytes``, ``14.2 KB``, ``3.1 MB``."""
    if size_bytes < 1024:
        return f"{size_bytes} bytes"
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:.1f} KB"
    return f"{size_bytes / (1024 * 1024):.1f} MB"


def _quantity(value: Decimal | float | None) -> str:
    if value is None:
        return ""
    return f"{Decimal(str(value)).normalize():,f}"


TEMPLATES.env.filters.update(
    market_time=_market_time,
    day=_day,
    money=_money,
    words=_words,
    quantity=_quantity,
    rate=_rate,
    size=_size,
)


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    viewer: Viewer | None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with the page frame's context: navigation, notice, CSRF token, time zone.

    Example::

        return render(request, "tokens.html", {"tokens": tokens}, viewer=viewer)
    """
    parameters: MarketParameters = request.app.state.market_parameters
    notice = request.cookies.get(NOTICE_COOKIE)
    frame = {
        "viewer": viewer,
        "nav": navigation(viewer, request.url.path),
        "notice": unquote(notice) if notice else None,
        "csrf_token": csrf_token(request),
        "timezone": MarketCalendar(parameters).timezone,
        "market": parameters,
    }
    response = TEMPLATES.TemplateResponse(
        request, template, {**frame, **context}, status_code=status_code
    )
    if notice:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    new_seed = getattr(request.state, "new_csrf_seed", None)
    if new_seed is not None:
        set_private_cookie(request, response, CSRF_COOKIE, new_seed, max_age=None)
    response.headers.update(SECURITY_HEADERS)
    return response


def set_private_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None
) -> None:
    """An HttpOnly, SameSite=Lax cookie for the whole site (Secure in production)."""
    settings: Settings = request.app.state.settings
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=settings.environment == "production",
        samesite="lax",
        path="/",
    )


def see_other(request: Request, url: str, notice: str | None = None) -> RedirectResponse:
    """Redirect after a successful form post, with an optional one-line confirmation.

    Example::

        return see_other(request, f"/applications/{application.id}", "Fee recorded.")
    """
    response = RedirectResponse(url, status_code=303)
    if notice:
        set_private_cookie(request, response, NOTICE_COOKIE, quote(notice), max_age=60)
    return response


def safe_next(url: str | None) -> str:
    """A same-site path to go to after login; anything else goes home."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return "/"


def download(content: bytes, content_type: str, filename: str) -> Response:
    """A stored file as a download, whatever the characters of its name.

    Example::

        return download(document.content, document.content_type, document.filename)
    """
    return Response(
        content=content,
        media_type=content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )
