"""Every page of the service, for every role, in a real browser.

For each of the demo's people (and someone not signed in) the crawler opens every route
of the web pages, its parameters filled from the demo data, then the same-site links it
finds on them. Each page that answers 200 with HTML must have no serious or critical
axe violation, no sideways scroll at 320 px, one h1, a title no other page of that
person's has, and none of Django's default wording, internal codes or constraint names
in its visible text. A page may refuse a person (403, 404) but never fail (500).
All failures are listed at once. ``CRAWL_REPORT=<file>`` also writes them, grouped.
"""

import os
import time
from pathlib import Path

from .crawl import ROLES, Crawler, add_missing_objects, constraint_names, report


def test_every_page_for_every_role(browser, live_server, demo, capsys):
    started = time.monotonic()
    extras = add_missing_objects()
    crawler = Crawler(browser, live_server.url)
    roles = [r for r in ROLES if (r or "anonymous") in os.environ.get("CRAWL_ROLES", "").split()]
    for username in roles or ROLES:
        crawler.crawl_role(username, extras)
    stats = crawler.stats
    seconds = time.monotonic() - started
    summary = (f"crawled {stats.roles} roles: {stats.pages} pages visited, {stats.checks} "
               f"checks run, {stats.axe_runs} axe runs ({stats.axe_cached} cached), "
               f"statuses {dict(sorted(stats.statuses.items()))}, "
               f"{len(crawler.refused)} refused, {seconds:.0f} s "
               f"({', '.join(f'{k} {v:.0f} s' for k, v in stats.seconds.items())})")
    with capsys.disabled():  # the counts show in every run, passed or failed
        print("\n" + summary)
    written = report(crawler.failures)
    if os.environ.get("CRAWL_REPORT"):
        Path(os.environ["CRAWL_REPORT"]).write_text(
            f"{summary}\n\n{written}\n\n## refused (not failures)\n"
            + "\n".join(f"- {line}" for line in crawler.refused) + "\n", encoding="utf-8")
    # every role reached pages of its own, not only the sign-in page
    assert stats.roles == len(roles or ROLES)
    assert stats.pages >= stats.roles * 100
    assert not crawler.failures, f"{len(crawler.failures)} failures ({summary}):\n{written}"


def test_the_text_check_finds_codes_but_not_addresses_or_code_elements():
    """The check itself: a code shown as words is found; an e-mail address, a web address
    and an event name set as code are not."""
    crawler = Crawler(None, "http://testserver")
    problems = crawler.text_problems(
        "Format: e_learning. Write to pat_okafor@example.org or see "
        "https://example.org/a_b. Events: gap.opened action_due. This field is required.",
        ["action_due"])
    found = [p.split(" in ", 1)[0] for p in problems]  # what was found, not its context
    assert found == ["“This field is required”", "code “e_learning”"]


def test_constraint_names_are_banned():
    names = constraint_names()
    assert "programmes_evidence_link_or_file" in names
