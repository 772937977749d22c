"""Web passwords: argon2id hashes, verified in constant time, rehashed when settings change.

The argon2id cost settings are ``AccessRules.password_time_cost``,
``password_memory_kib`` and ``password_parallelism``. A hash made with older
settings still verifies, and :func:`verify_password` hands back a new hash so
the caller can store it.

Example::

    >>> from gridmarket.config import AccessRules
    >>> rules = AccessRules(password_time_cost=1, password_memory_kib=8, password_parallelism=1)
    >>> stored = hash_password("correct horse battery", rules)
    >>> verify_password(stored, "correct horse battery", rules).matches
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gridmarket.access.errors import InvalidAccessRequest
from gridmarket.config import AccessRules


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )


def password_hasher(rules: AccessRules) -> PasswordHasher:
    """The argon2id hasher configured by ``rules``."""
    return _hasher(rules.password_time_cost, rules.password_memory_kib, rules.password_parallelism)


def check_password_rules(password: str, rules: AccessRules) -> None:
    """Refuse a password that is too short, with a message saying the minimum.

    Example::

        >>> check_password_rules("short", AccessRules())
        Traceback (most recent call last):
        ...
        gridmarket.access.errors.InvalidAccessRequest: a password needs at least 12 characters
    """
    if len(password) < rules.min_password_length:
        raise InvalidAccessRequest(
            f"a password needs at least {rules.min_password_length} characters"
        )


def hash_password(password: str, rules: AccessRules) -> str:
    """An argon2id hash (salted, self-describing) of ``password``."""
    return password_hasher(rules).hash(password)


@dataclass(frozen=True)
class PasswordCheck:
    matches: bool
    new_hash: str | None = None
    """Set when the password matched a hash made with other settings: store this one."""


def verify_password(stored_hash: str, password: str, rules: AccessRules) -> PasswordCheck:
    """Check ``password`` against ``stored_hash``; offer a rehash if the settings changed."""
    hasher = password_hasher(rules)
    try:
        hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return PasswordCheck(matches=False)
    if hasher.check_needs_rehash(stored_hash):
        return PasswordCheck(matches=True, new_hash=hasher.hash(password))
    return PasswordCheck(matches=True)


def spend_verification_time(password: str, rules: AccessRules) -> None:
    """Verify against a throw-away hash, so an unknown e-mail takes as long as a wrong password."""
    verify_password(_dummy_hash(rules), password, rules)


def _dummy_hash(rules: AccessRules) -> str:
    return _dummy_hash_for(
        rules.password_time_cost, rules.password_memory_kib, rules.password_parallelism
    )


@lru_cache(maxsize=8)
def _dummy_hash_for(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash("not a password of anyone")
