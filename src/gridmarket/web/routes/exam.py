"""The market proficiency exam, taken in the browser.

Starting an attempt draws the questions (``participants.exam.start_attempt``);
the answer sheet is scored by ``participants.exam.submit_answers``. An attempt
left open (the page was closed) is shown again to its taker until submitted.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.config import MarketParameters
from gridmarket.errors import NotFound
from gridmarket.participants import applications, exam
from gridmarket.participants.models import ExamAttempt, ScApplication
from gridmarket.web.csrf import checked_form
from gridmarket.web.forms import Problem, attempt
from gridmarket.web.rendering import render, see_other
from gridmarket.web.viewer import Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]
ANSWER_PREFIX = "answer-"


def _attempts(session: Session, application: ScApplication) -> list[ExamAttempt]:
    return list(
        session.scalars(
            select(ExamAttempt)
            .where(ExamAttempt.application_id == application.id)
            .order_by(ExamAttempt.started_at)
        )
    )


def _questions(attempt_row: ExamAttempt, parameters: MarketParameters) -> list[exam.Question]:
    bank = {question.id: question for question in exam.question_bank(parameters)}
    return [bank[question_id] for question_id in json.loads(attempt_row.question_ids_json)]


def _exam_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    parameters: MarketParameters,
    application_id: int,
    *,
    started: tuple[ExamAttempt, list[exam.Question]] | None = None,
    problem: Problem | None = None,
) -> Response:
    application = applications.visible_application(session, viewer.principal, application_id)
    attempts = _attempts(session, application)
    open_attempt = started
    if open_attempt is None:
        taker = viewer.principal.person_id
        mine = [a for a in attempts if a.submitted_at is None and a.person_id == taker]
        if mine:
            open_attempt = (mine[-1], _questions(mine[-1], parameters))
    context: dict[str, Any] = {
        "application": application,
        "attempts": attempts,
        "open_attempt": open_attempt[0] if open_attempt else None,
        "questions": open_attempt[1] if open_attempt else [],
        "rules": parameters.participants,
        "passed": any(a.passed for a in attempts),
        "problem": problem,
    }
    return render(
        request,
        "exam.html",
        context,
        viewer=viewer,
        status_code=problem.status_code if problem else 200,
    )


@router.get("/applications/{application_id}/exam")
def exam_page(
    request: Request,
    application_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
) -> Response:
    """The exam's rules, past attempts, and the open attempt's questions."""
    return _exam_page(request, session, viewer, parameters, application_id)


@router.post("/applications/{application_id}/exam")
def start_exam(
    request: Request,
    application_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """Start an attempt and show its questions."""
    outcome = attempt(
        session,
        lambda: exam.start_attempt(session, viewer.principal, application_id, parameters, clock),
    )
    if isinstance(outcome, Problem):
        return _exam_page(request, session, viewer, parameters, application_id, problem=outcome)
    return _exam_page(request, session, viewer, parameters, application_id, started=outcome)


@router.post("/exam/attempts/{attempt_id}")
def submit_exam(
    request: Request,
    attempt_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """Score the answer sheet and show the result."""
    answers = {
        key.removeprefix(ANSWER_PREFIX): int(value)
        for key, value in form.multi_items()
        if key.startswith(ANSWER_PREFIX) and isinstance(value, str) and value.isdigit()
    }
    outcome = attempt(
        session,
        lambda: exam.submit_answers(
            session, viewer.principal, attempt_id, answers, parameters, clock
        ),
    )
    if isinstance(outcome, Problem):
        taken = session.get(ExamAttempt, attempt_id)
        if taken is None:
            raise NotFound(f"no exam attempt {attempt_id}", field="attempt_id")
        return _exam_page(
            request, session, viewer, parameters, taken.application_id, problem=outcome
        )
    verdict = "passed" if outcome.passed else "not passed"
    return see_other(
        request,
        f"/applications/{outcome.application_id}/exam",
        f"You scored {outcome.score_percent}%: {verdict}.",
    )
