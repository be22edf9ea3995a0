"""What a new password may not be (ASVS 2.1): shorter than 10 or longer than 200 characters, the
person's name or e-mail, one of the most common passwords (the list of 30,000 from leaked password
sets that the zxcvbn package ships, looked up in lower case), guessable in fewer than 10^8 tries by
zxcvbn's estimate (keyboard walks, repeats, dates, a common word with digits), or the demo's password.

The same rules apply wherever a password is chosen: the password page, an e-mailed link and
`lsweb create-admin`. Checking is CPU work, done with no write transaction open.
"""

from __future__ import annotations

import re

from ..errors import DomainError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
ZXCVBN_MAX_LENGTH = 72  # zxcvbn judges at most this many characters
MIN_SCORE = 3  # zxcvbn: 3 means at least 10^8 guesses
DEMO_PASSWORD = "lessonstudy"  # the demo network's (lsweb/demo), printed in the README for everyone
# Words anyone would try first against a school's Lesson Study site.
SITE_WORDS = ("lsweb", "lesson study", "lessonstudy", "lesson", "study", "school", "teacher", "research")


def is_common(password: str) -> bool:
    """Whether the password, in lower case and without surrounding spaces, is on the common list."""
    from zxcvbn.matching import RANKED_DICTIONARIES

    return password.strip().lower() in RANKED_DICTIONARIES["passwords"]


def refuse_weak(password: str, email: str, name: str, extra_words: tuple[str, ...] = ()) -> None:
    """Raise DomainError (field "new_password") saying what is wrong with this new password."""
    field = "new_password"
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"Use at least {MIN_PASSWORD_LENGTH} characters.", field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(f"Use at most {MAX_PASSWORD_LENGTH} characters.", field)
    lowered = password.strip().lower()
    if lowered in (email, email.split("@")[0], name.lower()):
        raise DomainError("Choose a password that is not your name or email.", field)
    if lowered == DEMO_PASSWORD:
        raise DomainError("That is the demo's password, which everyone knows: choose your own.", field)
    if is_common(password):
        raise DomainError("That is one of the most common passwords (it is in lists of leaked "
                          "passwords): choose another. A few unrelated words make a good one.", field)
    from zxcvbn import zxcvbn

    local, _, domain = email.partition("@")
    words = [email, local, *re.split(r"[._+-]", local), domain.split(".")[0], *name.split(), *SITE_WORDS]
    for extra in extra_words:
        words += [extra, *extra.split()]
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[w for w in words if w])
    if result["score"] < MIN_SCORE:
        raise DomainError("That password is too easy to guess (patterns such as keyboard rows, repeats, "
                          "dates or a word with a few digits are tried first). A few unrelated words "
                          "make a good one.", field)
