"""A person's name for a browser's user-agent string: "Firefox on Windows".

The session list and the security timeline show where an account is signed in; the raw
string ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) ...") means nothing to most people.
A handful of rules cover the browsers and systems our customers use; anything else keeps
a short form of the raw string rather than a wrong name.
"""

import re

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari",
# and iOS browsers name themselves by their own token.
BROWSERS = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(OPR|Opera)/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(HeadlessChrome|Chrome|CriOS|Chromium)/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+.*\bSafari/")),
    ("curl", re.compile(r"^curl/")),
    ("Python", re.compile(r"^python-(requests|httpx|urllib)")),
)
SYSTEMS = (
    ("Android", re.compile(r"\bAndroid\b")),
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)
UNKNOWN = "Unknown browser"
RAW_LENGTH = 40


def describe(user_agent: str) -> str:
    """ "Firefox on Windows", "Safari on iPhone", or a short form of an unknown string."""
    if not user_agent.strip():
        return UNKNOWN
    browser = next((name for name, pattern in BROWSERS if pattern.search(user_agent)), None)
    system = next((name for name, pattern in SYSTEMS if pattern.search(user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    raw = user_agent.strip()
    return raw if len(raw) <= RAW_LENGTH else raw[: RAW_LENGTH - 1] + "…"
