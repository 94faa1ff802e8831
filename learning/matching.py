"""How well a training offer fits a learning need, and why, in words a person would use.

The rank is worked out here, in Python, the same on every database: first how close the
need's topic and staff group are to the offer's title, topics, description and audience,
then the need's principle, then a session in time for the need, then enough free places.
Words are compared by a light stem (plural and ``-ing`` endings dropped, hyphenated
words by their parts too), but the reasons quote the words as the need's author and the
provider wrote them. PostgreSQL only narrows the offers read (``selectors``); it never
changes the order.
"""

import datetime
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.utils import timezone

# Words that say nothing about what a course teaches or whom it is for.
STOP_WORDS = {
    "a", "an", "and", "the", "of", "for", "in", "on", "to", "with", "at", "by", "or", "all",
    "our", "their", "how", "into", "from", "new", "who", "what", "it", "is", "as",
    "staff", "worker", "workers", "team", "teams", "training", "course", "courses",
    "skills", "session", "sessions", "introduction", "basics", "level", "members",
}
# Words so common in health and social care that they count for less.
COMMON_WORDS = {
    "care", "practice", "awareness", "working", "work", "people", "health", "social",
    "support", "understanding", "skill", "good", "effective", "professional",
}

# The points of each part of the match. A title or topics that carry the whole topic
# (36 or more) outweigh everything an offer can get without the topic (at most 34).
TITLE_POINTS = 40
TOPICS_POINTS = 36
DESCRIPTION_POINTS = 20
BREADTH_POINTS = 5  # the share of the topic's words found anywhere in the offer
GROUP_POINTS = 15
EVERYONE_POINTS = 6  # an offer for all staff, or for no group in particular
PRINCIPLE_POINTS = 10
DATE_POINTS = 6
PLACES_POINTS = 3

EVERYONE = {"everyone", "all staff", "anyone", "all"}

_WORD = re.compile(r"[0-9A-Za-zÀ-ÿ]+(?:['’-][0-9A-Za-zÀ-ÿ]+)*")


def stem(word: str) -> str:
    """A light stem: lower case, without a possessive, a plural or an -ing ending."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    return w


def _parts(word: str) -> list[str]:
    return [p for p in re.split(r"['’-]", word.lower()) if p]


@dataclass(frozen=True)
class Word:
    """A word as written, and what it is compared by."""

    text: str
    whole: str  # the stem of the whole word, hyphens dropped
    parts: tuple[str, ...]  # the stems of its meaningful parts

    @property
    def weight(self) -> float:
        return 0.4 if self.whole in COMMON_WORDS or set(self.parts) <= COMMON_WORDS else 1.0


def words(text: str) -> list[Word]:
    """The meaningful words of ``text``, in order, each once."""
    seen: dict[str, Word] = {}
    for raw in _WORD.findall(text or ""):
        if raw.lower() in STOP_WORDS:
            continue
        parts = tuple(stem(p) for p in _parts(raw) if p not in STOP_WORDS and len(p) > 1)
        whole = stem(re.sub(r"['’-]", "", raw.lower()))
        if len(whole) < 3 or whole in seen:
            continue
        seen[whole] = Word(text=raw, whole=whole, parts=parts or (whole,))
    return list(seen.values())


@lru_cache(maxsize=8192)
def vocabulary(text: str) -> frozenset[str]:
    """Everything a word of ``text`` is known by: its whole stem and its parts' (kept, as
    one provider's offers are read against every need of its programmes)."""
    known: set[str] = set()
    for w in words(text):
        known.add(w.whole)
        known.update(w.parts)
    return frozenset(known)


def found(word: Word, known: frozenset[str]) -> bool:
    return word.whole in known or all(p in known for p in word.parts)


def coverage(need_words: list[Word], known: frozenset[str]) -> tuple[float, list[Word]]:
    """The share of the need's words (by weight) found in ``known``, and those words."""
    total = sum(w.weight for w in need_words)
    hits = [w for w in need_words if found(w, known)]
    return (sum(w.weight for w in hits) / total if total else 0.0), hits


def phrases(text: str) -> list[str]:
    """The groups of a list such as "home care workers, community nurses and carers"."""
    pieces = re.split(r",|;|/|\band\b|&", text or "")
    return [p.strip() for p in pieces if p.strip()]


def _quote(items: list[str]) -> str:
    quoted = [f"“{i}”" for i in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _as_written(text: str) -> str:
    """The user's words, with a capital first letter lowered unless it is an acronym."""
    text = text.strip()
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _date(moment) -> str:
    day = timezone.localtime(moment).date() if isinstance(moment, datetime.datetime) else moment
    return f"{day.day} {day:%B %Y}"


@dataclass
class OfferMatch:
    offer: Any  # a TrainingOffer
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    session: Any = None  # the session the need would book, if one fits


@dataclass
class NeedText:
    """What a need is compared by, read once for all the offers."""

    topic: list[Word]
    groups: list[tuple[str, frozenset[str]]]
    principle_id: int | None
    needed_by: datetime.date | None
    workers: int
    topic_text: str
    group_text: str

    @classmethod
    def of(cls, need) -> "NeedText":
        return cls(
            topic=words(need.topic),
            groups=[(p, vocabulary(p)) for p in phrases(need.staff_group)],
            principle_id=need.principle_id,
            needed_by=need.needed_by,
            workers=need.workers_count,
            topic_text=_as_written(need.topic),
            group_text=_as_written(need.staff_group),
        )


def _topic(need: NeedText, offer, match: OfferMatch) -> int:
    if not need.topic:
        return 0
    title, title_hits = coverage(need.topic, vocabulary(offer.title))
    topics, topics_hits = coverage(need.topic, vocabulary(offer.topics))
    text, text_hits = coverage(need.topic, vocabulary(offer.description))
    best = max(TITLE_POINTS * title, TOPICS_POINTS * topics, DESCRIPTION_POINTS * text)
    if not best:
        return 0
    # How much of the topic the offer covers anywhere: the more of it, the closer.
    anywhere, _ = coverage(need.topic, vocabulary(
        f"{offer.title} {offer.topics} {offer.description}"))
    if title == 1:
        match.reasons.append(f"Its title matches the topic “{need.topic_text}”")
    elif topics == 1:
        match.reasons.append(f"Its topics include “{need.topic_text}”")
    elif TITLE_POINTS * title >= TOPICS_POINTS * topics and title_hits:
        match.reasons.append(f"Its title shares {_quote([w.text for w in title_hits])} "
                             "with the topic")
    elif topics_hits and TOPICS_POINTS * topics >= DESCRIPTION_POINTS * text:
        match.reasons.append(f"Its topics share {_quote([w.text for w in topics_hits])} "
                             "with the need's topic")
    elif text == 1:
        match.reasons.append(f"Its description covers the topic “{need.topic_text}”")
    else:
        match.reasons.append(f"Its description mentions {_quote([w.text for w in text_hits])}")
    return round(best + BREADTH_POINTS * anywhere)


def _group(need: NeedText, offer, match: OfferMatch) -> int:
    offered = phrases(offer.staff_groups)
    if not offered or any(p.lower() in EVERYONE for p in offered):
        match.reasons.append("Meant for all staff" if offered else "Open to any staff group")
        return EVERYONE_POINTS
    if not need.groups:
        return 0
    audiences = [(p, vocabulary(p)) for p in offered]
    met = []
    for phrase, known in need.groups:
        for audience, theirs in audiences:
            if known and theirs and (known <= theirs or theirs <= known):
                met.append((phrase, audience))
                break
    if not met:
        return 0
    if len(met) == len(need.groups):
        match.reasons.append(f"Meant for {need.group_text}")
    else:
        match.reasons.append(f"Meant for {_as_written(met[0][1])}, one of the need's groups")
    return round(GROUP_POINTS * len(met) / len(need.groups))


def _session(need: NeedText, offer, match: OfferMatch, now) -> int:
    """Points for the dates and the places of the best session, or None to leave it out.

    The sessions that count have free places and start from now on (or run any time).
    The best is the first in time for the need with room for all its workers, else the
    one in time with the most room, else the first one after the need's date.
    """
    upcoming = [s for s in offer.sessions.all()
                if s.places_free > 0 and (s.starts_at is None or s.starts_at >= now)]
    if not upcoming:
        return -1

    def in_time(s) -> bool:
        if s.starts_at is None or need.needed_by is None:
            return True
        return timezone.localtime(s.starts_at).date() <= need.needed_by

    timely = [s for s in upcoming if in_time(s)]
    roomy = [s for s in timely if s.places_free >= need.workers]
    if roomy:
        chosen = roomy[0]
    elif timely:
        chosen = max(timely, key=lambda s: s.places_free)
    else:
        chosen = upcoming[0]
    match.session = chosen
    points = 0
    if chosen.starts_at is None:
        match.reasons.append("It can be taken at any time")
        points += DATE_POINTS
    elif in_time(chosen):
        when = _date(chosen.starts_at)
        match.reasons.append(f"A session starts on {when}, before the need's date"
                             if need.needed_by else f"A session starts on {when}")
        points += DATE_POINTS
    else:
        match.reasons.append(f"Its next session starts on {_date(chosen.starts_at)}, "
                             "after the need's date")
    free = chosen.places_free
    places = "1 free place" if free == 1 else f"{free} free places"
    if free >= need.workers:
        everyone = "the worker" if need.workers == 1 else f"all {need.workers} workers"
        match.reasons.append(f"{places}, enough for {everyone}")
        points += PLACES_POINTS
    else:
        match.reasons.append(f"{places}, fewer than the {need.workers} workers")
    return points


def match_offer(need: NeedText, offer, *, now) -> OfferMatch | None:
    """How ``offer`` (with its ``principles`` and ``sessions`` prefetched) fits the need;
    None when it covers neither the topic nor the principle, or has no session ahead
    with free places."""
    match = OfferMatch(offer=offer)
    topic = _topic(need, offer, match)
    principle = bool(need.principle_id) and any(
        p.pk == need.principle_id for p in offer.principles.all())
    if not topic and not principle:
        return None
    group = _group(need, offer, match)
    if principle:
        match.reasons.append("It works on the need's principle")
    session = _session(need, offer, match, now)
    if session < 0:
        return None
    match.score = topic + group + (PRINCIPLE_POINTS if principle else 0) + session
    return match


def rank(need, offers, *, limit: int | None = 20, now=None) -> list[OfferMatch]:
    """The offers that fit ``need``, best first (ties: the earlier session, then the
    older offer)."""
    text = NeedText.of(need)
    now = now or timezone.now()
    matches = [m for m in (match_offer(text, o, now=now) for o in offers) if m is not None]
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    matches.sort(key=lambda m: (
        -m.score, (m.session.starts_at or now) if m.session else far, m.offer.pk))
    return matches[:limit] if limit else matches
