"""The market proficiency exam: questions about the rulebook, scored, with retake rules.

Questions are built from the market parameters in force, so the exam always
asks about the rules the market actually runs. Each attempt draws a random
set of questions; answers are scored on submission; a pass completes the
``MARKET_PROFICIENCY_EXAM`` checklist item. Retake rules: at most N attempts
per application, a waiting period after a failed attempt, and a time limit
(an answer sheet submitted late scores zero).
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.errors import NotVisible
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.participants.checklist import pass_automatic_item
from gridmarket.participants.models import ExamAttempt, ScApplication, ScStatus
from gridmarket.participants.visibility import require_own_organisation


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: tuple[str, ...]
    answer: int
    """Index of the correct option."""


def _money(value: object) -> str:
    return f"${value:,}"


def _options(correct: str, *wrong: str) -> tuple[tuple[str, ...], int]:
    # The correct option's place is fixed per question (the same in every
    # process, unlike hash()) but not always first.
    options = [correct, *wrong]
    order = sorted(range(len(options)), key=lambda i: hashlib.sha256(options[i].encode()).digest())
    shuffled = tuple(options[i] for i in order)
    return shuffled, shuffled.index(correct)


def question_bank(parameters: MarketParameters) -> list[Question]:
    """Every question, phrased from the parameters in force.

    Example::

        >>> bank = question_bank(MarketParameters())
        >>> any("10:00" in option for q in bank for option in q.options)
        True
    """
    p = parameters
    d = p.deadlines
    b = p.bids
    specs: list[tuple[str, str, str, list[str]]] = [
        (
            "dam_close",
            "When do day-ahead market bids close for trade date T?",
            f"{d.dam_close_time:%H:%M} Pacific time on T−{d.dam_close_days_before}",
            [
                f"{d.dam_results_time:%H:%M} Pacific time on T−1",
                "Midnight at the start of T",
                "10:00 Pacific time on T−2",
            ],
        ),
        (
            "rt_close",
            "How long before an operating hour do real-time bids for it close?",
            f"{d.rt_bid_close_minutes_before_hour} minutes",
            ["45 minutes", "15 minutes", "120 minutes"],
        ),
        (
            "ist_dam",
            "Until when may day-ahead inter-SC trades be submitted?",
            f"{d.ist_dam_close_time:%H:%M} Pacific time on T−1",
            ["10:00 Pacific time on T−1", "13:00 Pacific time on T−1", "Until T−75 minutes"],
        ),
        (
            "price_floor",
            "What is the energy bid price floor?",
            f"{_money(b.price_floor_usd_per_mwh)}/MWh",
            ["$0/MWh", "−$1,000/MWh", "−$50/MWh"],
        ),
        (
            "soft_cap",
            "Above which price does an energy bid need a verified cost?",
            f"{_money(b.soft_cap_usd_per_mwh)}/MWh",
            ["$500/MWh", "$2,500/MWh", "$250/MWh"],
        ),
        (
            "hard_cap",
            "What is the energy bid hard cap?",
            f"{_money(b.hard_cap_usd_per_mwh)}/MWh",
            ["$1,500/MWh", "$5,000/MWh", "$9,999/MWh"],
        ),
        (
            "segments",
            "How many price–quantity segments may an energy bid have at most?",
            str(b.max_segments),
            ["5", "20", "3"],
        ),
        (
            "ss_priority",
            "Which self-schedule type is curtailed first?",
            b.self_schedule_priority[0],
            [t for t in b.self_schedule_priority[1:4]],
        ),
        (
            "virtual_min",
            "What is the smallest virtual bid quantity?",
            f"{b.virtual_bid_min_mw} MW",
            ["0.1 MW", "5 MW", "10 MW"],
        ),
        (
            "completeness",
            "Within how many business days does the ISO say whether an application is complete?",
            str(p.participants.completeness_review_business_days),
            ["5", "20", "30"],
        ),
        (
            "transfer_lead",
            "How many business days ahead must a resource transfer between SCs be requested?",
            str(p.resources.transfer_lead_business_days),
            ["5", "30", "2"],
        ),
        (
            "ucl_cap",
            "What caps the unsecured credit of an SC and its affiliates together?",
            _money(p.credit.unsecured_credit_cap_usd),
            ["$5,000,000", "$250,000,000", "No cap"],
        ),
        (
            "collateral",
            "How long does an SC have to meet a collateral call?",
            f"{p.credit.collateral_call_due_business_days} business days",
            ["5 business days", "10 calendar days", "Same day"],
        ),
        (
            "initial_statement",
            "When is the initial settlement statement of trade date T published?",
            f"T+{p.settlement.initial_statement_business_days} business days",
            ["T+3 business days", "T+70 business days", "T+1 month"],
        ),
        (
            "dispute",
            "Within how many business days of its publication can a recalculation "
            "statement be disputed?",
            str(p.settlement.dispute_window_business_days),
            ["5", "60", "10"],
        ),
        (
            "sign",
            "In settlement, what does a negative amount mean?",
            "The SC is paid",
            ["The SC pays", "The amount is in dispute", "The ISO owes a penalty"],
        ),
        (
            "lmp",
            "Which parts make up a locational marginal price?",
            "Energy, congestion and losses",
            ["Energy and fuel", "Congestion and capacity", "Energy, reserves and fees"],
        ),
        (
            "public",
            "Which data may be seen without logging in?",
            "Public prices and aggregate load",
            ["Another SC's bids", "Another SC's statements", "Meter data of all resources"],
        ),
    ]
    questions = []
    for question_id, text, correct, wrong in specs:
        options, answer = _options(correct, *wrong[:3])
        questions.append(Question(question_id, text, options, answer))
    return questions


def _application_in_certification(
    session: Session, actor: Principal, application_id: int
) -> ScApplication:
    application = session.get(ScApplication, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", field="application_id")
    require_own_organisation(
        actor,
        application.scheduling_coordinator.organisation_id,
        action="exam.start",
        object_type="sc_application",
        object_id=application_id,
    )
    if application.scheduling_coordinator.status != ScStatus.IN_CERTIFICATION:
        raise Conflict("the exam is taken during certification")
    return application


def start_attempt(
    session: Session,
    actor: Principal,
    application_id: int,
    parameters: MarketParameters,
    clock: Clock,
    rng: random.Random | None = None,
) -> tuple[ExamAttempt, list[Question]]:
    """Start an attempt: draw the questions (returned without answers to show the taker)."""
    authorize(actor, Action.SUBMIT_APPLICATION)
    application = _application_in_certification(session, actor, application_id)
    rules = parameters.participants
    now = clock.now()
    attempts = list(
        session.scalars(
            select(ExamAttempt)
            .where(ExamAttempt.application_id == application.id)
            .order_by(ExamAttempt.started_at)
        )
    )
    if any(a.passed for a in attempts):
        raise Conflict("the exam is already passed")
    if any(a.submitted_at is None and now < _deadline(a, parameters) for a in attempts):
        raise Conflict("an attempt is already in progress")
    if len(attempts) >= rules.exam_max_attempts:
        raise Conflict(f"all {rules.exam_max_attempts} attempts are used")
    if attempts:
        wait_until = attempts[-1].started_at + timedelta(days=rules.exam_retake_wait_days)
        if now < wait_until:
            raise Conflict(f"the next attempt may start at {wait_until.isoformat()}")
    bank = question_bank(parameters)
    count = min(rules.exam_question_count, len(bank))
    drawn = (rng or random.SystemRandom()).sample(bank, count)
    attempt = ExamAttempt(
        application_id=application.id,
        person_id=actor.person_id,
        question_ids_json=json.dumps([q.id for q in drawn]),
        started_at=now,
    )
    session.add(attempt)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="exam.start",
        object_type="exam_attempt",
        object_id=str(attempt.id),
        clock=clock,
    )
    return attempt, drawn


def _deadline(attempt: ExamAttempt, parameters: MarketParameters) -> datetime:
    return attempt.started_at + timedelta(minutes=parameters.participants.exam_time_limit_minutes)


def submit_answers(
    session: Session,
    actor: Principal,
    attempt_id: int,
    answers: dict[str, int],
    parameters: MarketParameters,
    clock: Clock,
) -> ExamAttempt:
    """Score an attempt. ``answers`` maps question id to the chosen option index."""
    authorize(actor, Action.SUBMIT_APPLICATION)
    attempt = session.get(ExamAttempt, attempt_id)
    if attempt is None:
        raise NotFound(f"no exam attempt {attempt_id}", field="attempt_id")
    if attempt.person_id != actor.person_id:
        # Only the taker submits an attempt; to anyone else it does not exist.
        raise NotVisible(
            f"no exam attempt {attempt_id} of yours",
            actor=actor,
            action="exam.submit",
            object_type="exam_attempt",
            object_id=str(attempt_id),
        )
    if attempt.submitted_at is not None:
        raise Conflict("this attempt is already submitted")
    question_ids: list[str] = json.loads(attempt.question_ids_json)
    unknown = sorted(set(answers) - set(question_ids))
    if unknown:
        raise InvalidInput(f"not questions of this attempt: {', '.join(unknown)}", field="answers")
    bank = {q.id: q for q in question_bank(parameters)}
    now = clock.now()
    late = now > _deadline(attempt, parameters)
    correct = 0 if late else sum(answers.get(qid) == bank[qid].answer for qid in question_ids)
    attempt.answers_json = json.dumps(answers, sort_keys=True)
    attempt.score_percent = round(100 * correct / len(question_ids))
    attempt.passed = attempt.score_percent >= parameters.participants.exam_pass_mark_percent
    attempt.submitted_at = now
    application = session.get(ScApplication, attempt.application_id)
    assert application is not None
    application.last_activity_at = now
    if attempt.passed:
        pass_automatic_item(
            session,
            application,
            "MARKET_PROFICIENCY_EXAM",
            f"passed with {attempt.score_percent}% (attempt {attempt.id})",
            now,
        )
    record_audit(
        session,
        actor=actor,
        action="exam.submit",
        object_type="exam_attempt",
        object_id=str(attempt.id),
        details={"score_percent": attempt.score_percent, "passed": attempt.passed, "late": late},
        clock=clock,
    )
    return attempt
