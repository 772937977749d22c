"""Error pages: refusals and mistakes shown as pages with a message, never a stack trace.

The API's handlers stay in charge of ``/api/...``. For every other path a
refusal is first passed to the API's handler, so it is audited exactly as an
API refusal is, and the page then shows its message with the same status:

* not logged in (or the session ended) → the login page, then back;
* ``AccessDenied`` → 403; ``NotVisible`` and unknown objects → 404;
* a domain error on a page (not a form) → its status with its message;
* a form without its CSRF token → 403.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from gridmarket.access.errors import AccessError, NotAuthenticated
from gridmarket.access.models import TokenKind
from gridmarket.access.principal import load_principal
from gridmarket.access.tokens import resolve_token
from gridmarket.api.errors import value_misfit_message
from gridmarket.api.security import SESSION_COOKIE, get_clock
from gridmarket.errors import DomainError
from gridmarket.web.csrf import CsrfRefused
from gridmarket.web.rendering import render, see_other
from gridmarket.web.viewer import Viewer, load_viewer

logger = logging.getLogger(__name__)

Handler = Callable[[Request, Any], Response | Awaitable[Response]]

TITLES = {
    400: "This request is not valid",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    409: "Not possible now",
    422: "Please check what you entered",
    429: "Too many attempts",
    500: "Something went wrong",
}


def is_page(request: Request) -> bool:
    """Web pages are every path outside the API."""
    return not request.url.path.startswith("/api/")


def _viewer_of(request: Request) -> Viewer | None:
    """The logged-in person, for the navigation of an error page; None if there is none."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        try:
            token = resolve_token(session, secret, clock=get_clock(request))
            if token.kind != TokenKind.SESSION:
                return None
            return load_viewer(session, load_principal(session, token.person_id))
        except AccessError:
            return None


def error_page(request: Request, status_code: int, message: str) -> Response:
    title = TITLES.get(status_code, "Something went wrong")
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status_code": status_code},
        viewer=_viewer_of(request),
        status_code=status_code,
    )


async def _call(handler: Handler, request: Request, error: Exception) -> Response:
    response = handler(request, error)
    if isinstance(response, Awaitable):
        return await response
    return response


def _for_pages(api_handler: Handler, page_handler: Handler) -> Handler:
    async def handle(request: Request, error: Exception) -> Response:
        if is_page(request):
            return await _call(page_handler, request, error)
        return await _call(api_handler, request, error)

    return handle


def _access_page(api_handler: Handler) -> Handler:
    async def handle(request: Request, error: AccessError) -> Response:
        # The API's handler writes the refusal to the audit log; its status is reused.
        api_response = await _call(api_handler, request, error)
        if isinstance(error, NotAuthenticated):
            target = request.url.path if request.method == "GET" else "/"
            if request.url.query and request.method == "GET":
                target += "?" + request.url.query
            had_session = bool(request.cookies.get(SESSION_COOKIE))
            response = see_other(
                request,
                f"/login?next={quote(target)}",
                "Your session has ended: log in again." if had_session else None,
            )
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        return error_page(request, api_response.status_code, _sentence(error.detail))

    return handle


def _domain_page(request: Request, error: DomainError) -> Response:
    return error_page(request, error.http_status, _sentence(error.message))


def _data_page(request: Request, error: DataError) -> Response:
    return error_page(request, 422, _sentence(value_misfit_message(error)))


def _http_page(request: Request, error: StarletteHTTPException) -> Response:
    message = {
        404: "There is no page at this address.",
        405: "This address does not accept that kind of request.",
    }.get(error.status_code, _sentence(str(error.detail)))
    return error_page(request, error.status_code, message)


def _invalid_request_page(request: Request, error: RequestValidationError) -> Response:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in item['loc'][1:]) or 'request'}: {item['msg']}"
        for item in error.errors()
    )
    return error_page(request, 400, _sentence(f"the address is not valid ({problems})"))


def _csrf_page(request: Request, error: Exception) -> Response:
    assert isinstance(error, CsrfRefused)
    return error_page(request, 403, _sentence(str(error)))


def _server_error(request: Request, error: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    if is_page(request):
        return error_page(
            request, 500, "The page could not be shown. The error has been logged; try again."
        )
    return PlainTextResponse("Internal Server Error", status_code=500)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def install_web_errors(app: FastAPI) -> None:
    """Show errors on web pages as pages; leave the API's JSON answers as they are.

    Call after the API's handlers are installed (they are wrapped, not replaced).
    """
    handlers = app.exception_handlers
    app.add_exception_handler(
        AccessError, _for_pages(handlers[AccessError], _access_page(handlers[AccessError]))
    )
    app.add_exception_handler(DomainError, _for_pages(handlers[DomainError], _domain_page))
    app.add_exception_handler(DataError, _for_pages(handlers[DataError], _data_page))
    app.add_exception_handler(
        StarletteHTTPException, _for_pages(handlers[StarletteHTTPException], _http_page)
    )
    app.add_exception_handler(
        RequestValidationError,
        _for_pages(handlers[RequestValidationError], _invalid_request_page),
    )
    app.add_exception_handler(CsrfRefused, _csrf_page)
    app.add_exception_handler(Exception, _server_error)
