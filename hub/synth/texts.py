"""Sentences the generator assembles free-text fields from (use cases, notes, tickets, surveys)."""

from __future__ import annotations

import numpy as np

# Use-case sentences per industry (same order as vocabulary.INDUSTRIES), then generic ones.
USE_CASE_BY_INDUSTRY = (
    (
        "We publish 400+ photos a day and need to prove which ones came from our own photographers.",
        "Our newsroom wants provenance on every image before it goes to the wire.",
        "Readers keep asking whether our breaking-news images are AI-generated.",
        "We syndicate content to partners and need them to verify it was not altered.",
    ),
    (
        "Our contributors upload thousands of images and we must flag synthetic ones.",
        "Buyers want a licence certificate attached to each downloaded image.",
        "We need to sign the full back catalogue of roughly two million photos.",
    ),
    (
        "Product photos from marketplace sellers are often edited to hide defects.",
        "We want a trust badge on listings whose images are verified originals.",
        "Returns fraud with doctored photos costs us money every month.",
    ),
    (
        "Creators want proof of authorship when their work is reposted without credit.",
        "We want to show a verified-creator badge on signed uploads.",
        "Our platform hosts short videos and needs tamper evidence on thumbnails.",
    ),
    (
        "We study the spread of manipulated media and need ground-truth provenance.",
        "Our lab archives field photographs that must stay verifiable for decades.",
        "We evaluate detection models against signed reference images.",
    ),
    (
        "We are exploring content credentials for internal design assets.",
        "Compliance asked for an audit trail on images used in customer reports.",
        "We want to add provenance checks to an existing media pipeline.",
    ),
)
USE_CASE_GENERIC = (
    "Integration would go through our upload service.",
    "We would start with a pilot on one team and expand after a month.",
    "Volume peaks during major events, up to ten times the daily average.",
    "We already store C2PA manifests but cannot verify them at scale.",
    "Latency matters: verification has to finish before the page renders.",
    "Our legal team requires EU data residency.",
    "We would like webhooks when a signature fails to verify.",
    "The team has two backend engineers available for the integration.",
)
CHALLENGES = (
    "Manual review of suspicious images does not scale.",
    "We cannot tell edited images from originals once metadata is stripped.",
    "Partners do not trust our attribution claims.",
    "Existing watermarking breaks when images are resized.",
    "Our current vendor is too slow for real-time checks.",
    "We have no audit trail for who changed an image and when.",
)
NOTES = (
    "Strong fit; wants a call with engineering.",
    "Asked about pricing after the beta.",
    "Referred by an existing beta customer.",
    "Needs SSO before rollout.",
    "Decision maker is on leave until next month.",
    "Compared us with two other vendors.",
    "Very engaged in Slack community.",
    "Budget approved for next quarter.",
)
INTERACTION_SUMMARIES = {
    "Email": (
        "Sent onboarding guide and API docs.",
        "Followed up on application questions.",
        "Shared pricing outline for after the beta.",
    ),
    "Call": (
        "Discovery call about volumes and integration path.",
        "Walked through signing flow and key management.",
        "Discussed renewal timeline.",
    ),
    "Meeting": (
        "Kickoff with their engineering team.",
        "Quarterly review with stakeholders.",
        "Planning session for production rollout.",
    ),
    "Demo": ("Demoed verify API and dashboard.", "Showed batch signing for archives."),
    "Support": (
        "Helped debug signature verification errors.",
        "Resolved rate-limit issue.",
        "Investigated slow sign requests.",
    ),
    "Follow-up": (
        "Checked in after first week of usage.",
        "Reminded about pending survey.",
        "Followed up on open integration questions.",
    ),
}
NEXT_STEPS = (
    "Send SDK examples.",
    "Schedule technical review.",
    "Set up API keys.",
    "Share case study draft.",
    "Book check-in in two weeks.",
    "Escalate to engineering.",
    "Prepare conversion proposal.",
)
FEATURE_REQUESTS = (
    "Bulk verification endpoint.",
    "Python SDK async support.",
    "Dashboard export to CSV.",
    "Video support.",
    "Webhook retries with backoff.",
    "Team roles and permissions.",
    "On-prem deployment option.",
)
TESTIMONIALS = (
    "Provenance checks went live in two days and our editors trust the badge.",
    "Signing our archive was painless; the API just works.",
    "Fraud disputes dropped noticeably after we verified seller photos.",
    "The team was responsive and the docs are excellent.",
)
TICKET_SUBJECTS = (
    "Signature verification fails on resized images",
    "API returns 429 during batch jobs",
    "Cannot rotate API key",
    "Webhook not delivered",
    "Latency spike on sign endpoint",
    "Question about usage limits",
    "SDK install error on Python 3.12",
    "Invoice question",
    "Manifest missing after CDN transform",
    "Dashboard shows wrong usage numbers",
)
TICKET_DETAILS = (
    "Started after our last deploy.",
    "Affects roughly 5% of requests.",
    "Blocking our production rollout.",
    "Happens only for PNG files.",
    "Reproducible with the attached sample.",
    "Not urgent, but we would like to understand it.",
)


def paragraphs(
    rng: np.random.Generator, pools: list[tuple[str, ...]], counts: np.ndarray
) -> list[str]:
    """One text per row: ``counts[i]`` distinct sentences drawn from ``pools[i]``."""
    draws = rng.random((len(counts), int(counts.max(initial=1)))).tolist()
    out = []
    for pool, k, row in zip(pools, counts.tolist(), draws, strict=True):
        picked = dict.fromkeys(pool[int(u * len(pool))] for u in row[:k])
        out.append(" ".join(picked))
    return out


def pick(rng: np.random.Generator, pool: tuple[str, ...], n: int) -> list[str]:
    """``n`` sentences drawn from ``pool``."""
    return [pool[i] for i in rng.integers(0, len(pool), n).tolist()]
