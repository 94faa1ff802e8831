"""Save a PNG of each main page, on the demo data, into docs/screenshots/ (`make screenshots`).

Seeds the frameworks and the demo programme into a scratch SQLite database in a
temporary folder, serves it with Django's development server on a free port, and
visits the pages with Playwright driving the machine's Chromium (CHROMIUM_PATH, or
`chromium` on the PATH). Nothing outside the temporary folder and docs/screenshots/
is written: tasks run in the process and e-mails are dropped.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo-tracker-2026"
WIDTH, HEIGHT = 1280, 900
MAX_HEIGHT = 1600  # a long page is cut here, to keep the files small
PHONE_WIDTH, PHONE_HEIGHT = 320, 640  # the narrowest screen every page must fit (reflow)
PHONE_MAX_HEIGHT = 1300
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,  # noqa: S603 - our own manage.py
                   stdout=subprocess.DEVNULL)


def wait_until_up(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own http://127.0.0.1
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer at {url} within {seconds} s")


def demo_ids(env) -> dict:
    """Ids of the demo objects worth showing, read from the scratch database."""
    code = """
import json
from programmes.models import Programme, Gap
from learning.models import LearningNeed
p = Programme.objects.get()
gap = (Gap.objects.filter(programme=p, status="open", actions__isnull=False,
       learning_needs__isnull=False).order_by("principle__number", "pk").first()
       or Gap.objects.filter(programme=p, status="open").first())
need = LearningNeed.objects.filter(programme=p).order_by("pk").first()
print(json.dumps({"programme": p.pk, "gap": gap.pk, "need": need.pk}))
"""
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env,  # noqa: S603
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("Playwright is missing: run `make venv` (it is in the dev extra)", file=sys.stderr)
        return 1
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which(
        "chromium-browser")
    if not chromium:
        print("Chromium is missing: apt-get install chromium (or set CHROMIUM_PATH)",
              file=sys.stderr)
        return 1

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tracker-screens-") as scratch:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update({
            "DATABASE_URL": f"sqlite:///{scratch}/demo.sqlite3",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "REDIS_URL": "memory://",  # kombu's in-process broker: queued work dies with it
            "EMAIL_URL": "dummymail://",
            "DEBUG": "true",
        })
        print("seeding a scratch database")
        manage(env, "migrate", "--noinput")
        manage(env, "load_framework")
        manage(env, "seed_demo")
        manage(env, "send_reminders")
        ids = demo_ids(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(base + "/login/")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                     args=CHROMIUM_ARGS)
                shoot_all(browser, base, ids)
                browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    return 0


def shoot_all(browser, base, ids):
    programme = ids["programme"]

    def session(username=None, width=WIDTH, height=HEIGHT):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      locale="en-GB", timezone_id="Europe/London")
        page = context.new_page()
        if username:
            page.goto(base + "/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_load_state()
        return context, page

    def shoot(page, name, path=None, max_height=MAX_HEIGHT, start_at=None):
        """start_at: a selector whose element starts the image, for a part of a long page."""
        if path is not None:
            page.goto(base + path)
        page.wait_for_load_state("networkidle")
        top = 0
        if start_at:
            top = max(0, int(page.evaluate(
                "(s) => document.querySelector(s).getBoundingClientRect().top + window.scrollY",
                start_at)) - 16)
        height = min(page.evaluate("document.documentElement.scrollHeight") - top, max_height)
        target = OUT / f"{name}.png"
        page.screenshot(path=str(target), full_page=True,
                        clip={"x": 0, "y": top, "width": page.viewport_size["width"],
                              "height": height})
        print(f"  {target.relative_to(ROOT)} ({target.stat().st_size // 1024} KB)")

    context, page = session()
    shoot(page, "login", "/login/")
    context.close()

    context, page = session("manager")
    shoot(page, "programmes", "/")
    shoot(page, "dashboard", f"/programmes/{programme}/", max_height=2600)
    shoot(page, "principle", f"/programmes/{programme}/principles/2/", max_height=1500)
    shoot(page, "gap-register", f"/programmes/{programme}/gaps/?severity=high")
    shoot(page, "gap", f"/gaps/{ids['gap']}/")
    page.goto(base + f"/gaps/{ids['gap']}/actions/new/")
    page.get_by_label("Description").fill("Work with the community team")
    page.get_by_role("button", name="Add the action").click()
    shoot(page, "error-summary")
    shoot(page, "learning-need", f"/learning-needs/{ids['need']}/")
    shoot(page, "funding", f"/programmes/{programme}/funding/")
    shoot(page, "self-assessments", f"/programmes/{programme}/cycles/")
    shoot(page, "joint-commissioning", f"/programmes/{programme}/joint-commissioning/",
          max_height=2200)
    page.goto(base + f"/programmes/{programme}/import/")
    page.get_by_label("Learning needs").check()
    page.get_by_label("Spreadsheet file").set_input_files(files=[{
        "name": "learning-needs.csv", "mimeType": "text/csv",
        "buffer": b"Partner,Staff group,Topic,Workers,Needed by\n"
                  b"Nobody Trust,Nurses,Falls prevention,3,31/03/2027\n"
                  b",Care workers,Pressure care,two,31/13/2027\n"}])
    page.get_by_role("button", name="Check the file").click()
    shoot(page, "import-check")
    context.close()

    context, page = session("lead")
    page.goto(base + f"/programmes/{programme}/cycles/")
    page.get_by_role("button", name="Start the assessment of").first.click()
    page.wait_for_load_state()
    shoot(page, "assessment")
    page.get_by_role("link", name="1. ").first.click()
    page.get_by_label("Partly met").first.check()
    shoot(page, "assessment-principle")
    shoot(page, "my-actions", "/actions/mine/")
    shoot(page, "notifications", "/notifications/")
    context.close()

    context, page = session("provider")
    shoot(page, "our-offers", "/offers/mine/")
    shoot(page, "catalogue", "/offers/")
    context.close()

    # The same service on a phone: tables become one card per row, and the header's
    # links that do not fit wait behind its "More" button.
    context, page = session("manager", PHONE_WIDTH, PHONE_HEIGHT)
    shoot(page, "phone-dashboard", f"/programmes/{programme}/", max_height=PHONE_MAX_HEIGHT)
    shoot(page, "phone-gap-register", f"/programmes/{programme}/gaps/?severity=high",
          max_height=PHONE_MAX_HEIGHT)
    shoot(page, "phone-action-board", f"/programmes/{programme}/actions/",
          max_height=900, start_at="[data-testid=action-table]")
    page.goto(base + f"/gaps/{ids['gap']}/")
    page.get_by_role("button", name="More").click()
    shoot(page, "phone-menu", max_height=PHONE_HEIGHT)
    context.close()


if __name__ == "__main__":
    sys.exit(main())
