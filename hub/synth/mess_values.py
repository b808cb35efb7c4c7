"""One messy value at a time: odd names, very long text, numbers typed as text, date spellings.

Every function takes its random draws as arguments (floats in [0, 1)), so callers draw them in
bulk from their own stream and the result is deterministic.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from hub.synth import texts

# Emoji as people type them into names: single code points, a variation selector, a flag, a ZWJ
# sequence and a skin tone, so a byte, code-point and grapheme count all differ.
EMOJI = ("🚀", "✨", "❤️", "🇩🇪", "👩‍💻", "🌱", "👍🏽", "🔥")
# Right-to-left company names and the pieces mixed into Latin ones (Arabic "company", Hebrew "Ltd").
RTL_COMPANIES = ("شركة النور للتقنية", "مؤسسة الأفق", "אור טכנולוגיות", "חברת הגשר")
RTL_PREFIXES = ("شركة ", "مجموعة ")
RTL_SUFFIXES = (" בע״מ", " ذ.م.م")
RTL_FIRST = ("محمد", "فاطمة", "يوسف", "ليلى", "נועה", "אברהם", "יוסי", "מרים")
RTL_LAST = ("العلي", "حداد", "الخطيب", "כהן", "לוי", "מזרחי", "פרץ")
NAME_KINDS = ("nul", "emoji", "rtl")


def odd_name(text: str, kind: str, u: float, v: float, *, person: bool = False) -> str:
    """``text`` with a NUL byte, an emoji or right-to-left script, as ``kind`` says."""
    if kind == "nul":  # a C string or a bad CSV export leaves NULs anywhere
        where = (0, len(text) // 2, len(text))[int(u * 3)]
        return text[:where] + "\u0000" + text[where:]
    if kind == "emoji":
        emoji = EMOJI[int(u * len(EMOJI))]
        return f"{emoji} {text}" if v < 0.3 else f"{text} {emoji}"
    if person:  # a person's name in Arabic or Hebrew script
        pool = RTL_FIRST if v < 0.5 else RTL_LAST
        return pool[int(u * len(pool))]
    if v < 0.4:
        return RTL_COMPANIES[int(u * len(RTL_COMPANIES))]
    if v < 0.7:
        return RTL_PREFIXES[int(u * len(RTL_PREFIXES))] + text
    return text + RTL_SUFFIXES[int(u * len(RTL_SUFFIXES))]


def long_text(u: float, seed_value: int) -> str:
    """5,000–20,000 characters of pasted paragraphs (an email thread, a requirements doc)."""
    rng = np.random.default_rng(seed_value)
    pool = texts.USE_CASE_GENERIC + texts.CHALLENGES + texts.NOTES + texts.FEATURE_REQUESTS
    target = 5_010 + int(u * 14_980)  # 5,000-20,000 once trailing blanks are cut
    shortest = min(len(p) for p in pool) + 1
    picks = rng.integers(0, len(pool), target // shortest + 1).tolist()
    breaks = (rng.random(len(picks)) < 0.15).tolist()
    text = "".join(pool[i] + ("\n\n" if b else " ") for i, b in zip(picks, breaks, strict=True))
    return text[:target].rstrip()


def _scientific(value: int) -> str:
    """Exact scientific notation of an integer: 12000 -> "1.2e4"."""
    digits = str(abs(value))
    if value == 0:
        return "0e0"
    kept = digits.rstrip("0")
    mantissa = kept[0] + ("." + kept[1:] if len(kept) > 1 else "")
    return ("-" if value < 0 else "") + f"{mantissa}e{len(digits) - 1}"


def number_as_text(value: float, u: float) -> str:
    """The same number as a person or an export writes it: "1,200", " 1200 ", "1.2e3", "1200.00"."""
    if float(value).is_integer():
        whole = int(value)
        forms = (f"{whole:,}", f" {whole} ", _scientific(whole), f"{whole}.00")
    else:
        forms = (f"{value:,.2f}", f" {value} ", f"{value:e}", f"{value:.4f}")
    return forms[int(u * len(forms))]


def plain_number_text(value: float) -> str:
    """A number in a text field, typed plainly: 12000.0 -> "12000"."""
    return str(int(value)) if float(value).is_integer() else str(value)


def percent_text(fraction: float, u: float, *, odd: bool) -> str:
    """A fraction typed into a text field: "12%", or oddly "12 %", "0.12", " 12% "."""
    pct = round(fraction * 100, 1)
    shown = str(int(pct)) if float(pct).is_integer() else str(pct)
    if not odd:
        return f"{shown}%"
    forms = (f"{shown} %", str(fraction), f" {shown}% ")
    return forms[int(u * len(forms))]


def _parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def hubspot_datetime(value: str, u: float) -> str:
    """A HubSpot datetime property in another form it is sent in: epoch ms, ISO with or without
    milliseconds. The instant is kept exactly (no-millisecond ISO only when the millis are 0)."""
    if value.isdigit():
        millis = int(value)
    else:
        moment = _parse_iso(value)
        millis = int(moment.timestamp()) * 1000 + moment.microsecond // 1000
    seconds, ms = divmod(millis, 1000)
    iso = dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    forms = [str(millis), f"{iso}.{ms:03d}Z"] + ([f"{iso}Z"] if ms == 0 else [])
    others = [f for f in forms if f != value] or forms
    return others[int(u * len(others))]


def airtable_datetime(day: str, u: float) -> str:
    """A date cell of a field the base types as dateTime: same UTC day, a time of day, ISO Z."""
    seconds = int(u * 86_399)
    return f"{day}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:00.000Z"
