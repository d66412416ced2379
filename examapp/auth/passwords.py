"""Password hashing, in one place.

Two kinds of password, two costs (figures: ``docs/benchmarks.md``, "Password hashing"):

* A password a person chose is hashed with argon2id at OWASP's minimum parameters
  (19 MiB, two passes, one lane): about 16 ms a check on the 2-core box, against about
  70 ms for werkzeug's default scrypt and 180 ms for its default PBKDF2 (1,000,000
  iterations). Ten thousand staff logging in within minutes need 50 checks a second:
  0.8 of a core with argon2id, 3.5 cores with scrypt, which the box does not have.
  Being memory-hard, argon2id costs an attacker's GPUs far more per guess than PBKDF2
  of the same speed.
* A password we generated (imports, admission tickets, resets) is hashed with PBKDF2-SHA256
  at 5,000 iterations, under 1 ms. It is random (10 characters of a 55-letter alphabet,
  ~58 bits), shown once and must be changed at first login: its entropy, not the hash cost,
  protects it, and a roster of 10,000 is hashed in 9 s instead of nearly three minutes of
  argon2id inside one request. It is not upgraded at login: the first thing its owner does is
  replace it, and that stores argon2id.

Every hash ever stored stays verifiable: werkzeug's ``scrypt:`` and ``pbkdf2:`` strings and
argon2's ``$argon2id$`` ones. ``verify_password`` says when a hash is not argon2id at the
current parameters; the login then stores the password again the current way, unless the
password is a generated one still waiting to be changed (see ``auth.services.authenticate``).

The argon2 parameters come from ``PASSWORD_ARGON2_*`` settings, so that a stronger machine
can raise them (old hashes are upgraded at their next login).
"""

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

#: OWASP Password Storage Cheat Sheet, argon2id minimum: m=19456 KiB (19 MiB), t=2, p=1
DEFAULT_ARGON2_TIME_COST = 2
DEFAULT_ARGON2_MEMORY_KIB = 19456
DEFAULT_ARGON2_PARALLELISM = 1
#: werkzeug method for generated passwords (see the module docstring)
GENERATED_PASSWORD_METHOD = "pbkdf2:sha256:5000"  # noqa: S105 - a hash method name, not a password


@lru_cache(maxsize=8)
def _hasher(time_cost, memory_kib, parallelism):
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def current_hasher():
    """The argon2id hasher at the configured parameters (the defaults outside an app)."""
    config = current_app.config if has_app_context() else {}
    return _hasher(
        int(config.get("PASSWORD_ARGON2_TIME_COST", DEFAULT_ARGON2_TIME_COST)),
        int(config.get("PASSWORD_ARGON2_MEMORY_KIB", DEFAULT_ARGON2_MEMORY_KIB)),
        int(config.get("PASSWORD_ARGON2_PARALLELISM", DEFAULT_ARGON2_PARALLELISM)),
    )


def hash_password(password):
    """Hash a password a person chose."""
    return current_hasher().hash(password)


def hash_generated_password(password):
    """Hash a password we generated: random, shown once, changed at first login."""
    return generate_password_hash(password, method=GENERATED_PASSWORD_METHOD)


def verify_password(stored, given):
    """Return ``(ok, needs_rehash)`` for ``given`` against the ``stored`` hash.

    ``needs_rehash`` is true when the password is right and ``stored`` is not argon2id at
    the current parameters: any werkzeug hash, or an argon2 one with other parameters.
    """
    if not stored:
        return False, False
    if stored.startswith("$argon2"):
        hasher = current_hasher()
        try:
            hasher.verify(stored, given)
        except (VerificationError, InvalidHashError):
            return False, False
        return True, hasher.check_needs_rehash(stored)
    try:
        ok = check_password_hash(stored, given)
    except ValueError:  # a method werkzeug does not know
        ok = False
    return ok, ok


def is_password(stored, given):
    return verify_password(stored, given)[0]


@lru_cache(maxsize=8)
def _dummy_hash(hasher):
    return hasher.hash(secrets.token_urlsafe(16))


def verify_dummy(given):
    """Spend what checking a chosen password costs, for a username that does not exist."""
    verify_password(_dummy_hash(current_hasher()), given)


def is_cheaper_than_current(stored):
    """Whether checking against ``stored`` costs less than argon2id at the current parameters.

    A generated password's PBKDF2 check takes under a millisecond, argon2id's about 16 ms: a
    failed login for such an account would answer faster than one for any other account or for
    an unknown name, and so tell them apart. ``auth.services.authenticate`` pads it.
    """
    if not stored or not stored.startswith("$argon2"):
        return not (stored or "").startswith("scrypt:")  # werkzeug's scrypt costs more already
    try:
        return current_hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True
