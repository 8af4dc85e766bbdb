"""Secret content: text that holds a credential is skipped before it is chunked, whatever its name.

Public API:
    find_secret(text) -> str | None     the skip reason ("holds a secret (private key block)"), or None

A small rule set, chosen for few false positives on real documentation (bench/secret_scan.py measures
it on a folder such as /usr/share/doc): literal formats that only credentials have (PEM private key
blocks with a body, AWS/GitHub/Slack/Google/Stripe/OpenAI token shapes, JWTs) and assignments to a
credential-like name whose value is long, mixed and high-entropy. Documentation's placeholders
(AKIA...EXAMPLE, <your-token>, ${TOKEN}, xxxx) are not secrets. The user opts a path back in with
the `include` setting.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_B64 = r"[A-Za-z0-9+/=]"

# (reason, literals, pattern): the pattern runs only where one of its literals occurs, because
# `in` scans megabytes in milliseconds while a regex without a literal start tries every position
_FORMATS = [
    (
        "private key block",
        ("PRIVATE KEY",),
        # the header alone is quoted by manuals; a key has base64 lines right after it
        re.compile(
            r"-----BEGIN (?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP |SSH2 ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----"
            r"[ \t]*\r?\n(?:[A-Za-z-]+:[^\n]*\r?\n)*\s*" + _B64 + r"{40,}"
        ),
    ),
    (
        "AWS access key",
        ("AKIA", "ASIA", "ABIA", "ACCA"),
        re.compile(r"(?<![0-9A-Z])(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![0-9A-Z])"),
    ),
    (
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})"),
    ),
    ("Slack token", ("xox",), re.compile(r"xox[abposr]-[0-9]{6,}-[A-Za-z0-9-]{10,}")),
    (
        "Slack webhook",
        ("hooks.slack.com",),
        re.compile(r"hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}"),
    ),
    ("Google API key", ("AIza",), re.compile(r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])")),
    ("Stripe key", ("k_live_",), re.compile(r"[sr]k_live_[0-9A-Za-z]{20,}")),
    ("OpenAI key", ("T3BlbkFJ",), re.compile(r"sk-(?:proj-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}")),
    ("JSON web token", ("eyJ",), re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}")),
]

# names a credential goes by; looked for in the lower-cased text, the value is matched right after
_KEYWORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "api-key",
    "apikey",
    "access_key",
    "access-key",
    "accesskey",
    "private_key",
    "private-key",
    "auth_key",
    "credential",
)
_VALUE = re.compile(r"[\w.-]{0,30}[\"']?[ \t]*(?::=|=>|[:=])[ \t]*[\"']?([A-Za-z0-9+/=_\-.~!@#$%^&*]{20,200})")
_PLACEHOLDER = re.compile(
    r"(?i)example|sample|placeholder|dummy|changeme|change_me|your|xxxx|\*\*\*\*|<[^>]*>|\$\{|\{\{|%\(|redacted|fake|test"
)
# bits per character: random base64 or alphanumerics sit at 4.5-6, words and paths below 4; a short
# value cannot reach 4 (n characters hold at most log2(n) bits each), so the bar scales with its length
MIN_ENTROPY = 4.0


def entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def _credential_like(value: str) -> bool:
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    bar = min(MIN_ENTROPY, 0.8 * math.log2(len(value)))
    return classes >= 3 and entropy(value) >= bar and not _PLACEHOLDER.search(value)


def find_secret(text: str) -> str | None:
    for reason, literals, pattern in _FORMATS:
        if not any(lit in text for lit in literals):
            continue
        for m in pattern.finditer(text):
            if reason == "private key block" or not _PLACEHOLDER.search(m.group(0)):
                return f"holds a secret ({reason})"
    lower = text.lower()  # same length: indices carry over to `text`
    if len(lower) != len(text):
        lower = text  # a few characters change length when lower-cased; fall back to exact case
    for word in _KEYWORDS:
        i = lower.find(word)
        while i != -1:
            m = _VALUE.match(text, i + len(word))
            if m and _credential_like(m.group(1)):
                return "holds a secret (a high-entropy value assigned to a credential name)"
            i = lower.find(word, i + 1)
    return None
