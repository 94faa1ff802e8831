"""The words the service uses, in plain English: the glossary page and the links to it.

Each term has an anchor (``/glossary/#gap``) that pages link to with
``{% glossary "gap" %}`` where the word first appears.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    anchor: str
    word: str
    meaning: tuple[str, ...]


TERMS: tuple[Term, ...] = (
    Term("action", "Action", (
        "A piece of work that one named person at a partner organisation agrees to do by "
        "a date, usually to close a gap. It is overdue when its date has passed and it "
        "is neither done nor cancelled.",
    )),
    Term("allocation", "Allocation", (
        "An amount of money set aside from a funding stream for one learning need or one "
        "action. It moves from planned to committed, then claimed and paid, or it is "
        "cancelled and the money goes back to the stream.",
    )),
    Term("champion", "Champion", (
        "Someone a partner names to speak up for one principle inside their "
        "organisation: the person others can ask about it.",
    )),
    Term("co-production", "Co-production", (
        "Planning and judging the work together with the people who draw on care and "
        "support and their carers, rather than only asking staff. The service shows how "
        "many self-assessments heard from people who draw on care or their carers.",
    )),
    Term("cycle", "Cycle (assessment cycle)", (
        "A round of self-assessment, for example “Baseline” or “Year 2”, with a start and "
        "an end date. Each partner answers the checklist once in each cycle, so you can "
        "compare one round with the next.",
    )),
    Term("evidence", "Evidence", (
        "A document or a link that shows why a partner gave an answer, such as a policy, "
        "a training record or meeting notes.",
    )),
    Term("funding-stream", "Funding stream", (
        "A pot of money from one funder for the programme, with its own total. It may "
        "only pay for some principles or staff groups, up to a limit for each partner, "
        "or only take claims between two dates.",
    )),
    Term("gap", "Gap", (
        "A checklist question that a partner answered “not met” or “partly met” in a "
        "submitted self-assessment. A gap stays open until a later self-assessment "
        "answers “met” or a programme manager closes it, giving a reason.",
    )),
    Term("highlight-report", "Highlight report", (
        "A short summary of the programme for a board or a meeting: progress on each "
        "principle, open gaps, overdue actions, money and successes to celebrate. You "
        "can read it as a web page or download it as a PDF.",
    )),
    Term("joint-commissioning", "Joint commissioning", (
        "Two or more partners buying or arranging training together because they need "
        "the same thing, instead of each paying for it separately. The service suggests "
        "where partners' learning needs are close enough to do this.",
    )),
    Term("learning-need", "Learning need", (
        "What a group of staff at a partner needs to learn: the topic, which staff "
        "group, how many workers and by when.",
    )),
    Term("partner", "Partner", (
        "An organisation taking part in the programme, such as an NHS trust, a council, "
        "a care provider, a voluntary group, a learning provider or a group of people "
        "who draw on care.",
    )),
    Term("partner-lead", "Partner lead", (
        "The person who answers the self-assessment for their organisation, owns and "
        "updates its actions and records its learning needs.",
    )),
    Term("person-who-draws-on-care", "Person who draws on care and support", (
        "Someone who uses health or social care services. We use these words rather "
        "than “service user” or “patient”.",
    )),
    Term("principle", "Principle", (
        "One of the headings of the framework the programme uses, such as the six "
        "Skills for Care principles of workforce integration. Each principle has a "
        "checklist of questions that partners answer.",
    )),
    Term("programme-manager", "Programme manager", (
        "The person who runs the programme: sets up partners and assessment cycles, "
        "gives out actions, allocates funding and watches progress.",
    )),
    Term("rating", "Rating", (
        "The answer a partner gives to one checklist question:",
        "“Met” means the partner does this fully. “Partly met” means it does some of it. "
        "“Not met” means it does not do this yet. “Not applicable” means the question "
        "does not apply to the partner.",
    )),
    Term("reviewer", "Reviewer", (
        "Someone who can read the programme's pages but not change them, such as a board "
        "member, a commissioner or a group of people who draw on care.",
    )),
    Term("self-assessment", "Self-assessment", (
        "A partner's own answers to every checklist question in one cycle. It stays a "
        "draft until the partner submits it; after that it cannot change.",
    )),
    Term("severity", "Severity", (
        "How big a gap is. A “not met” answer opens a high severity gap; a “partly met” "
        "answer opens a medium severity gap.",
    )),
    Term("training-offer", "Training offer", (
        "A course, apprenticeship, workshop, coaching or other learning that a learning "
        "provider publishes, with its dates, places and cost. Partners book places on it "
        "for their learning needs.",
    )),
    Term("webhook", "Webhook", (
        "A way for a partner's own computer system to be told straight away when "
        "something happens in the tracker, for example when a gap opens. It is set up "
        "by someone technical and needs a web address that can receive messages.",
    )),
)

BY_ANCHOR = {term.anchor: term for term in TERMS}
