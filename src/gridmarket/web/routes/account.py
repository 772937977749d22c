"""Logging in and out, and registering a new market entrant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from gridmarket.access.errors import AccountLocked
from gridmarket.access.login import attempt_login, log_out
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import SESSION_COOKIE, ClockDep
from gridmarket.participants.registration import Registration, register_applicant
from gridmarket.web.csrf import checked_form
from gridmarket.web.forms import Problem, attempt, text, validation_problems
from gridmarket.web.rendering import render, safe_next, see_other, set_private_cookie

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The login form (the page never needs a session, so a stale cookie cannot loop here)."""
    return render(request, "login.html", {"next": safe_next(next), "email": ""}, viewer=None)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """Check e-mail and password as ``POST /api/v1/auth/login`` does; set the same cookie."""
    email, target = text(form, "email"), safe_next(text(form, "next"))
    password = form.get("password")
    rules = parameters.access
    outcome = attempt_login(
        session, email, password if isinstance(password, str) else "", rules=rules, clock=clock
    )
    session.commit()  # A failure is recorded too: the count towards lockout, the audit entry.
    if outcome.error is not None or outcome.issued is None:
        status = 429 if isinstance(outcome.error, AccountLocked) else 401
        message = outcome.error.detail if outcome.error else "login failed"
        return render(
            request,
            "login.html",
            {"next": target, "email": email, "error": message},
            viewer=None,
            status_code=status,
        )
    response = see_other(request, target, f"Logged in as {email.lower()}.")
    set_private_cookie(
        request,
        response,
        SESSION_COOKIE,
        outcome.issued.secret,
        max_age=rules.session_lifetime_minutes * 60,
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm) -> Response:
    """End the session of the cookie, as ``POST /api/v1/auth/logout`` does."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        log_out(session, secret, clock=clock)
        session.commit()
    response = see_other(request, "/", "You are logged out.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


REGISTRATION_FIELDS = ("organisation_name", "display_name", "email")


@router.get("/register")
def registration_page(request: Request) -> Response:
    """The registration form for a company new to the market."""
    return render(request, "register.html", {"values": {}, "errors": {}}, viewer=None)


@router.post("/register")
def register(
    request: Request,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """Register the company and its user access administrator, then go to the login page."""
    values = {name: text(form, name) for name in REGISTRATION_FIELDS}
    password, repeated = form.get("password"), form.get("password_again")
    errors: dict[str, str] = {}
    registration: Registration | None = None
    if password != repeated:
        errors["password_again"] = "the two passwords are not the same"
    try:
        typed = password if isinstance(password, str) else ""
        registration = Registration(**values, password=typed)
    except ValidationError as error:
        errors = {**validation_problems(error), **errors}
    if registration is not None and not errors:
        valid = registration
        outcome = attempt(
            session, lambda: register_applicant(session, valid, parameters.access, clock)
        )
        if not isinstance(outcome, Problem):
            return see_other(
                request,
                "/login?next=/applications/new",
                f"{valid.organisation_name} is registered. Log in to apply as a scheduling "
                "coordinator.",
            )
        errors[outcome.field or "password"] = outcome.message
    return render(
        request,
        "register.html",
        {"values": values, "errors": errors},
        viewer=None,
        status_code=422,
    )
