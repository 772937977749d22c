"""CSRF protection for form posts: a per-session token in every form.

The session cookie is ``SameSite=Lax``, which already keeps most cross-site
posts out; the token closes the rest. It is an HMAC keyed by the session
secret, so it needs no storage and changes with every login. Before login
(the login and registration forms) a random ``gridmarket_csrf`` cookie
plays the part of the session secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from starlette.datastructures import FormData

from gridmarket.api.security import SESSION_COOKIE

CSRF_COOKIE = "gridmarket_csrf"
"""The pre-login secret the form token is derived from, until a session exists."""

CSRF_FIELD = "csrf_token"
"""The name of the hidden form field carrying the token."""


class CsrfRefused(Exception):
    """A form post without the token of the current session."""


def _token_from(seed: str) -> str:
    return hmac.new(seed.encode(), b"gridmarket form post", hashlib.sha256).hexdigest()


def _seed(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(CSRF_COOKIE)


def csrf_token(request: Request) -> str:
    """The token to put in the forms of this page.

    Without a session or pre-login cookie a new pre-login secret is made;
    :func:`gridmarket.web.rendering.render` then sets it as a cookie.
    """
    seed = _seed(request) or getattr(request.state, "new_csrf_seed", None)
    if seed is None:
        seed = secrets.token_urlsafe(32)
        request.state.new_csrf_seed = seed
    return _token_from(seed)


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the caller's session (else CsrfRefused).

    Example::

        @router.post("/logout")
        def logout(form: Annotated[FormData, Depends(checked_form)]): ...
    """
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    seed = _seed(request)
    matches = isinstance(sent, str) and seed is not None
    if not matches or not hmac.compare_digest(str(sent), _token_from(str(seed))):
        raise CsrfRefused(
            "this form could not be accepted: it is out of date or did not come from this "
            "site. Reload the page and try again."
        )
    return form
