"""The crawler behind test_every_page: every route of the web pages, for every role.

``Targets`` builds one URL per route in ``web.urls.urlpatterns`` from the demo data, for
one person; ``Crawler`` visits those URLs and the same-site links found on them (GET
only), and checks every page that answers 200 with HTML. Failures are collected, never
raised one by one, so one run lists everything that is wrong.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Error as PlaywrightError

from actions.models import Action
from learning.models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
    TrainingSession,
)
from notifications.models import Notification
from people.models import Invitation
from programmes.models import (
    Assessment,
    AssessmentCycle,
    Champion,
    ChecklistItem,
    Contributor,
    Evidence,
    Gap,
    Membership,
    Partner,
    Programme,
    Response,
)
from webhooks.models import Webhook

from .conftest import AXE_SOURCE, AXE_TAGS, PASSWORD

# Everyone the demo signs in as (seed_demo's USERS and VOICES), and nobody signed in.
ROLES = ["manager", "lead", "lead.homecare", "lead.hospital", "provider", "reviewer",
         "person", "carer", None]
OFFSITE = re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])")
WIDTH = 320  # the narrowest phone the service must reflow for (WCAG 2.2 SC 1.4.10)

# Routes that answer with a file, not a page: fetched (status only), never opened.
DOWNLOADS = {"evidence-download", "import-template"}
# Routes that end the session if they ever answered GET: fetched last, without a page.
SESSION_ENDERS = {"logout", "sign-out-everywhere"}
# Links not followed: they end the session, download or export, or are not the web pages.
SKIP_LINK = re.compile(
    r"/logout/|/sign-out-everywhere/|/download/|/export|/template/|\.(csv|xlsx|pdf|ics)$"
    r"|^/admin/|^/api/(?!docs/)|^/static/|^/media/|^/healthz")
SKIP_QUERY = re.compile(r"(^|&)(download|export|format)=")
LINKS_PER_ROUTE = 1  # distinct URLs followed per route name (beyond the mapped one)
VARIANTS_PER_PATH = 1  # query-string variants followed per path
LINKS_PER_ROLE = 40  # a bound on the pages found by following links, per role

BANNED_PHRASES = [
    "This field is required",
    "Ensure this value",
    "Enter a valid",
    "Select a valid choice",
    "Please enter a correct",
    "not_met",
    "partly_met",
]
# A code such as ``e_learning`` or ``nhs_trust`` shown as if it were words.
CODE_WORD = re.compile(r"\b[a-z]+_[a-z_]+\b")
# Removed from the visible text before looking for codes: an e-mail address or a web
# address may hold an underscore and is meant to be copied as it is.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
WEB_ADDRESS = re.compile(r"\bhttps?://\S+")
# Text in code, kbd and samp elements is also left out: there the service shows a value
# to type or match exactly (a webhook's event names, an import file's column names),
# and the element says so to the reader.
CODE_ELEMENTS = "code, kbd, samp, pre"


class Unfillable(Exception):
    """A route whose parameters the demo data cannot fill: the crawler must learn it."""


def constraint_names() -> list[str]:
    """Every database constraint's name in the project's models: none may be shown."""
    names = set()
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            names.add(constraint.name)
    return sorted(names)


def pk_of(obj, what: str) -> int:
    if obj is None:
        raise Unfillable(f"the demo has no {what}")
    return obj.pk


def add_missing_objects() -> dict:
    """The demo has no webhook, invitation, evidence or notification; the pages about
    them are pages too, so give each one (as the people themselves would have made)."""
    User = get_user_model()
    programme = Programme.objects.get()
    manager = User.objects.get(username="manager")
    webhook = Webhook.objects.create(
        programme=programme, owner=manager, url="https://hooks.example.org/tracker",
        events=["gap.opened"], secret="a-secret-of-the-crawler")
    invitation = Invitation.objects.create(
        programme=programme, email="new.lead@example.org", role=Membership.Role.PARTNER_LEAD,
        partner=Partner.objects.get(name="Riverside Voluntary Action"), invited_by=manager,
        nonce_hash="", expires_at=timezone.now() + datetime.timedelta(days=7),
        sent_at=timezone.now())
    from people.services import _new_link  # the token a real invitation e-mail carries

    token = _new_link(invitation)
    invitation.save(update_fields=["nonce_hash", "expires_at"])
    response = (Response.objects.filter(assessment__status="draft",
                                        assessment__partner__name="Meadowbank Home Care")
                .order_by("pk").first())
    assert response is not None, "the demo has no draft answer to give evidence for"
    Evidence.objects.create(response=response, title="Joint induction plan",
                            url="https://intranet.example.org/induction-plan",
                            uploaded_by=User.objects.get(username="lead.homecare"))
    today = timezone.localdate()
    for user in User.objects.filter(username__in=[r for r in ROLES if r]):
        Notification.objects.create(
            recipient=user, kind="action_due", subject_type="action", subject_id=0,
            occurrence=today, message="An action is due in 7 days.", link="/actions/mine/",
            programme_name=programme.name)
    return {"webhook": webhook, "invitation": invitation, "invitation_token": token}


class Targets:
    """One URL per web route for one person, its parameters taken from the demo data:
    where there is a choice, the objects that person works with."""

    def __init__(self, username: str | None, extras: dict):
        User = get_user_model()
        self.user = User.objects.get(username=username) if username else None
        self.extras = extras
        self.programme = Programme.objects.get()
        membership = (Membership.objects.filter(user=self.user, programme=self.programme)
                      .first() if self.user else None)
        self.partner = (membership.partner if membership and membership.partner
                        else Partner.objects.get(name="Riverside City Council Adult Social Care"))
        self.cycle = AssessmentCycle.objects.filter(programme=self.programme).order_by(
            "-period_start", "-pk").first()
        contributor = Contributor.objects.filter(user=self.user).first() if self.user else None
        assessments = Assessment.objects.filter(cycle=self.cycle)
        self.assessment = (
            (contributor.assessment if contributor else None)
            or assessments.filter(partner=self.partner).first()
            or assessments.filter(contributors__isnull=False).first())
        self.contributor = (contributor or Contributor.objects.filter(
            assessment=self.assessment).first() or Contributor.objects.first())
        gaps = Gap.objects.filter(programme=self.programme).order_by("pk")
        self.gap = (gaps.filter(partner=self.partner, status="open").first()
                    or gaps.filter(status="open").first())
        self.need = (LearningNeed.objects.filter(partner=self.partner).order_by("pk").first()
                     or LearningNeed.objects.order_by("pk").first())
        self.offer = TrainingOffer.objects.order_by("pk").first()
        self.models = {
            # a route's first segment names what its ``pk`` is
            "programmes": lambda: self.programme,
            "memberships": lambda: Membership.objects.filter(
                programme=self.programme, user__username="lead").first(),
            "webhooks": lambda: (Webhook.objects.filter(owner=self.user).first()
                                 or extras["webhook"]),
            "champions": lambda: Champion.objects.order_by("pk").first(),
            "funding-streams": lambda: FundingStream.objects.order_by("pk").first(),
            "funding-allocations": lambda: FundingAllocation.objects.order_by("pk").first(),
            "assessments": lambda: self.assessment,
            "responses": lambda: Response.objects.filter(
                assessment=self.assessment).order_by("pk").first(),
            "evidence": lambda: Evidence.objects.order_by("pk").first(),
            "contribute": lambda: self.contributor,
            "gaps": lambda: self.gap,
            "actions": lambda: (Action.objects.filter(owner=self.user).order_by("pk").first()
                                if self.user else None)
            or Action.objects.filter(gap__partner=self.partner).order_by("pk").first()
            or Action.objects.order_by("pk").first(),
            "learning-needs": lambda: self.need,
            "placements": lambda: (
                Placement.objects.filter(learning_need__partner=self.partner).order_by("pk").first()
                or Placement.objects.order_by("pk").first()),
            "offers": lambda: self.offer,
            "sessions": lambda: TrainingSession.objects.filter(offer=self.offer).first()
            or TrainingSession.objects.first(),
            "notifications": lambda: Notification.objects.filter(recipient=self.user).first()
            if self.user else Notification.objects.first(),
        }

    def _reset_user(self):
        return self.user or get_user_model().objects.get(username="manager")

    def value(self, name: str, kwarg: str, route: str):
        first = route.split("/", 1)[0]
        if kwarg == "pk":
            if first not in self.models:
                raise Unfillable(f"no demo object for the pk of /{route}")
            obj = self.models[first]()
            if obj is None:
                raise Unfillable(f"the demo has no {first} for /{route}")
            return obj.pk
        simple = {
            "partner_pk": lambda: pk_of(self.partner, "partner"),
            "cycle_pk": lambda: pk_of(self.cycle, "cycle"),
            "number": lambda: 1,
            "gap_pk": lambda: pk_of(self.gap, "open gap"),
            "need_pk": lambda: pk_of(self.need, "learning need"),
            "offer_pk": lambda: pk_of(self.offer, "training offer"),
            "invitation_pk": lambda: self.extras["invitation"].pk,
            "token": lambda: (self.extras["invitation_token"] if name == "invitation-accept"
                              else default_token_generator.make_token(self._reset_user())),
            "uidb64": lambda: urlsafe_base64_encode(force_bytes(self._reset_user().pk)),
            "contributor_pk": lambda: pk_of(self.contributor, "contributor"),
            "item_pk": lambda: pk_of(
                (self.contributor.checklist_items.order_by("pk").first() if self.contributor
                 else None) or ChecklistItem.objects.order_by("pk").first(), "statement"),
            "kind": lambda: "actions",
            "fmt": lambda: "csv",
        }
        if kwarg == "change":
            changes = {"allocation-status": "commit", "placement-status": "approve",
                       "offer-status": "publish"}
            if name not in changes:
                raise Unfillable(f"no change named for /{route}")
            return changes[name]
        if kwarg not in simple:
            raise Unfillable(f"no demo value for <{kwarg}> in /{route}")
        return simple[kwarg]()

    def url(self, pattern) -> str:
        route = str(pattern.pattern)
        kwargs = {kwarg: self.value(pattern.name, kwarg, route)
                  for kwarg in pattern.pattern.converters}
        try:
            return reverse(f"web:{pattern.name}", kwargs=kwargs)
        except NoReverseMatch as exc:
            raise Unfillable(f"/{route}: {exc}") from exc


# The page's own measurements, in one evaluation: what overflows at the width, the h1s,
# and the visible text with the text of code elements apart.
MEASURE = """
(width) => {
  const clips = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o !== "visible") return true;
    }
    return false;
  };
  const name = (el) => {
    let n = el.tagName.toLowerCase();
    if (el.id) n += "#" + el.id;
    if (el.classList.length) n += "." + [...el.classList].slice(0, 3).join(".");
    const text = (el.innerText || el.value || "").trim().replace(/\\s+/g, " ");
    return text ? `${n} “${text.slice(0, 50)}”` : n;
  };
  let widest = null, right = width + 0.5;
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth > width) {  // only then look for what is too wide
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.right <= width + 0.5 || r.right < right - 0.01 || r.width === 0) continue;
      if (clips(el)) continue;
      if (r.right > right || !widest || widest.contains(el)) { widest = el; right = r.right; }
    }
  }
  return {
    scrollWidth,
    widest: widest ? `${name(widest)} (${Math.round(right)} px)` : null,
    h1: document.querySelectorAll("h1").length,
    title: document.title,
    text: document.body ? document.body.innerText : "",
    code: [...document.querySelectorAll(arguments_code)].map((e) => e.innerText),
  };
}
""".replace("arguments_code", repr(CODE_ELEMENTS))

VOLATILE = [
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'),
    re.compile(r'nonce="[^"]*"'),
    re.compile(r'"X-CSRFToken": ?"[^"]*"'),
]


def normalised(html: str, person: list[str]) -> str:
    """The page without what changes on every request (the CSRF token, nonces) or with
    the person signed in (their name in the header): what axe would find the same."""
    for pattern in VOLATILE:
        html = pattern.sub("", html)
    for words in person:
        html = html.replace(words, "PERSON")
    return html


@dataclass
class Stats:
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    roles: int = 0
    pages: int = 0
    checks: int = 0
    axe_runs: int = 0
    axe_cached: int = 0
    statuses: Counter = field(default_factory=Counter)


@dataclass
class Failure:
    kind: str
    role: str
    url: str
    detail: str

    def __str__(self):
        return f"[{self.kind}] {self.role} {self.url}: {self.detail}"


class Crawler:
    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.failures: list[Failure] = []
        self.refused: list[str] = []  # (role, url, status) of pages answered 403/404/405
        self.stats = Stats()
        self.axe_cache: dict[str, list[str]] = {}
        self.post_only: set[str] = set()  # routes that answered GET with 405
        self.person: list[str] = []  # the signed-in person's names, the same page apart
        self.banned_names = constraint_names()
        self.banned = re.compile("|".join(
            [re.escape(p) for p in BANNED_PHRASES]
            + [r"\b" + re.escape(n) + r"\b" for n in self.banned_names]))

    # -- one role ---------------------------------------------------------------------
    def crawl_role(self, username: str | None, extras: dict) -> None:
        role = username or "anonymous"
        self.stats.roles += 1
        context = self.browser.new_context(viewport={"width": 1280, "height": 900},
                                           locale="en-GB", timezone_id="Europe/London")
        from .conftest import CSP_WATCH

        context.add_init_script(CSP_WATCH)
        # the test machine is offline: a request elsewhere (the design system's fonts)
        # would only hold up each page's load event
        context.route(OFFSITE, lambda route: route.abort())
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            if username:
                page.goto(self.base_url + "/login/")
                page.get_by_label("Username").fill(username)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_load_state()
                if "/login/" in page.url:
                    self.fail("sign-in", role, page.url, "could not sign in")
                    return
            self._crawl(role, username, extras, page, context)
        finally:
            context.close()

    def _crawl(self, role, username, extras, page, context):
        from web.urls import urlpatterns

        targets = Targets(username, extras)
        user = targets.user
        self.person = sorted({w for w in ([user.get_full_name(), user.first_name, user.last_name,
                                           user.username, user.email] if user else []) if w},
                             key=len, reverse=True)
        queue: deque[tuple[str, str]] = deque()  # (url, how it was found)
        enders = []
        for pattern in urlpatterns:
            try:
                url = targets.url(pattern)
            except Unfillable as exc:
                self.fail("unmapped route", role, pattern.name, str(exc))
                continue
            if pattern.name in DOWNLOADS:
                self._fetch(role, context, url)
            elif pattern.name in SESSION_ENDERS:
                enders.append(url)
            else:
                queue.append((url, f"route {pattern.name}"))
        seen_urls = {url for url, _ in queue}
        per_route: Counter = Counter()
        per_path: Counter = Counter()
        followed = 0
        titles: dict[str, dict[str, str]] = defaultdict(dict)  # title: {path: page's key}
        checked_paths: set[str] = set()
        while queue:
            url, found = queue.popleft()
            links = self._visit(role, page, url, found, titles, checked_paths)
            for link in links:
                if followed >= LINKS_PER_ROLE or link in seen_urls:
                    continue
                parts = urlsplit(link)
                if SKIP_LINK.search(parts.path) or SKIP_QUERY.search(parts.query):
                    continue
                try:
                    match = resolve(parts.path)
                except Resolver404:
                    continue
                name = match.view_name.removeprefix("web:")
                if match.view_name == name and name != "api-docs":
                    continue  # not one of the web pages
                if name in DOWNLOADS | SESSION_ENDERS:
                    continue
                if parts.query:
                    if per_path[parts.path] >= VARIANTS_PER_PATH:
                        continue
                    per_path[parts.path] += 1
                elif per_route[name] >= LINKS_PER_ROUTE:
                    continue
                else:
                    per_route[name] += 1
                seen_urls.add(link)
                followed += 1
                queue.append((link, f"link on {url}"))
        for url in enders:
            self._fetch(role, context, url)
        for title, urls in titles.items():
            # one title on two addresses of the very same page (a cycle's own address and
            # the current cycle's) is one page; on two different pages it is not unique
            if len(set(urls.values())) > 1:
                self.fail("title not unique", role, ", ".join(sorted(urls)),
                          f"“{title}” on {len(urls)} pages")

    def _fetch(self, role, context, url):
        response = context.request.get(self.base_url + url, max_redirects=0)
        self.stats.statuses[response.status] += 1
        if response.status >= 500:
            self.fail("server error", role, url, f"answered {response.status}")

    def _open(self, page, url):
        """Open the page; again (up to three times) if Chromium dropped the navigation."""
        for attempt in range(3):
            try:
                response = page.goto(self.base_url + url, wait_until="load")
                if page.locator("#swagger-ui, #redoc").count():
                    # Swagger UI and ReDoc draw the API docs (and their h1) once the
                    # schema has loaded: check them drawn, not blank
                    page.locator("#swagger-ui h1, #redoc h1").wait_for(timeout=15_000)
                return response
            except PlaywrightError as exc:
                if "interrupted by another navigation" not in str(exc) or attempt == 2:
                    raise
                page.wait_for_timeout(300)
        return None

    def _visit(self, role, page, url, found, titles, checked_paths) -> list[str]:
        self.stats.pages += 1
        t = time.monotonic()
        name = resolve(urlsplit(url).path).url_name or ""
        request = page.context.request
        if name in self.post_only or role == "anonymous":
            # a route that answers GET with 405 does so for everyone; someone not signed
            # in is sent to the sign-in page from nearly everywhere: ask without a page
            answer = request.get(self.base_url + url, max_redirects=0)
            location = urlsplit(answer.headers.get("location", "")).path
            if answer.status == 405 or (answer.status in (301, 302) and location in checked_paths):
                self.stats.statuses[answer.status] += 1
                self.stats.seconds["open"] += time.monotonic() - t
                self.refused.append(f"{role} {url} {answer.status}")
                return []
        try:
            response = self._open(page, url)
        except PlaywrightError as exc:
            # an answer with no body (405 to a GET) is an error page to Chromium
            answer = request.get(self.base_url + url, max_redirects=0)
            response, status = None, answer.status
            if status == 405:
                self.post_only.add(name)
            if status < 400:
                first_line = str(exc).splitlines()[0]
                self.fail("did not open", role, url, f"{first_line} ({found})")
                return []
        else:
            status = response.status if response else 0
        self.stats.statuses[status] += 1
        self.stats.seconds["open"] += time.monotonic() - t
        final = page.url.removeprefix(self.base_url)
        if status >= 500 or status == 0:
            self.fail("server error", role, url, f"answered {status} ({found})")
            return []
        if status != 200:
            self.refused.append(f"{role} {url} {status}")
            return []
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            return []
        path = urlsplit(final).path
        redirected = final != url
        if redirected and path in checked_paths:
            return []  # the same page again (the sign-in page, with another ``next``)
        checked_paths.add(path)
        self._check(role, page, final, titles)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        links = []
        for href in hrefs:
            absolute = urljoin(page.url, href)
            if not absolute.startswith(self.base_url + "/"):
                continue
            link = absolute.removeprefix(self.base_url).split("#", 1)[0]
            links.append(link)
        return links

    def _check(self, role, page, url, titles):
        refused = page.evaluate("() => window.__cspViolations || []")
        self.stats.checks += 1
        if refused:
            self.fail("content security policy", role, url, "; ".join(refused))
        # axe, once per distinct page
        key = hashlib.sha256(normalised(page.content(), self.person).encode()).hexdigest()
        if key in self.axe_cache:
            self.stats.axe_cached += 1
        else:
            self.stats.axe_runs += 1
            t = time.monotonic()
            page.evaluate(AXE_SOURCE)
            result = page.evaluate(
                "async (tags) => await axe.run(document, {runOnly: {type: 'tag', "
                "values: tags}})", AXE_TAGS)
            self.axe_cache[key] = [
                f"{v['id']} ({v['impact']}): {v['help']} – "
                f"{len(v['nodes'])} elements, {[n['target'] for n in v['nodes']][:8]}"
                for v in result["violations"] if v["impact"] in ("serious", "critical")]
            self.stats.seconds["axe"] += time.monotonic() - t
        self.stats.checks += 1
        for problem in self.axe_cache[key]:
            self.fail("axe", role, url, problem)
        # at a phone's width
        t = time.monotonic()
        page.set_viewport_size({"width": WIDTH, "height": 800})
        try:
            # The header's script refits its links into "More" on the frame after a
            # resize, as a phone that loads the page at this width would see at once.
            page.evaluate("() => new Promise(done => requestAnimationFrame("
                          "() => requestAnimationFrame(() => setTimeout(done, 50))))")
            measured = page.evaluate(MEASURE, WIDTH)
        finally:
            page.set_viewport_size({"width": 1280, "height": 900})
        self.stats.seconds["measure"] += time.monotonic() - t
        self.stats.checks += 1
        if measured["scrollWidth"] > WIDTH:
            self.fail("sideways scroll at 320 px", role, url,
                      f"{measured['scrollWidth']} px wide; widest: {measured['widest']}")
        self.stats.checks += 1
        if measured["h1"] != 1:
            self.fail("h1", role, url, f"{measured['h1']} h1 elements")
        self.stats.checks += 1
        title = measured["title"].strip()
        if not title:
            self.fail("title", role, url, "no title")
        titles[title][urlsplit(url).path] = key
        self.stats.checks += 1
        for problem in self.text_problems(measured["text"], measured["code"]):
            self.fail("banned text", role, url, problem)

    def text_problems(self, text: str, code: list[str]) -> list[str]:
        problems = []
        for match in sorted(set(self.banned.findall(text))):
            problems.append(f"“{match}” in {context_of(text, match)}")
        for snippet in code:
            if snippet.strip():
                text = text.replace(snippet, " ")
        text = WEB_ADDRESS.sub(" ", EMAIL.sub(" ", text))
        for word in sorted(set(CODE_WORD.findall(text)) - set(BANNED_PHRASES)):
            problems.append(f"code “{word}” in {context_of(text, word)}")
        return problems

    def fail(self, kind, role, url, detail):
        self.failures.append(Failure(kind, role, url, detail))


def context_of(text: str, word: str) -> str:
    at = text.find(word)
    start, end = max(0, at - 40), at + len(word) + 40
    return "“…" + re.sub(r"\s+", " ", text[start:end]).strip() + "…”"


def report(failures: list[Failure]) -> str:
    """The failures grouped by kind, then by page, each line naming the roles."""
    grouped: dict[str, dict[tuple[str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    for f in failures:
        grouped[f.kind][(f.url, f.detail)].append(f.role)
    lines = []
    for kind in sorted(grouped):
        lines.append(f"## {kind} ({len(grouped[kind])})")
        for (url, detail), roles in sorted(grouped[kind].items()):
            lines.append(f"- {url} — {detail} [{', '.join(sorted(set(roles)))}]")
        lines.append("")
    return "\n".join(lines)
