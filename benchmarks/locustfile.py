"""The users of the load test (``benchmarks/load.py``): the three roles at work.

Each simulated user is a different person of the regional data set, signed in with an
API token made beforehand (the token endpoint's throttle would refuse fifty sign-ins
from one address in a minute, as it should). Tokens and ids come from the JSON file
named by ``LOAD_PEOPLE``.

* partner leads (most users): their actions, overdue first; their partner's gaps and
  progress; a progress note on one of their actions; moving an action along;
* programme managers: the programme's progress, the gap register, overdue actions, an
  action's history; a new action for a partner;
* learning providers: the catalogue, their placements; a new draft offer.
"""

import datetime
import itertools
import json
import os
import random

from locust import HttpUser, between, task

PEOPLE = json.loads(open(os.environ["LOAD_PEOPLE"], encoding="utf-8").read())
_next = {role: itertools.count() for role in ("lead", "manager", "provider")}


class Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)
    role = ""

    def on_start(self):
        people = PEOPLE[self.role]
        self.me = people[next(_next[self.role]) % len(people)]
        self.client.headers["Authorization"] = f"Token {self.me['token']}"
        self.programme = PEOPLE["programme"]

    def get(self, path, name=None, **params):
        return self.client.get(path, params=params, name=name or path)


class PartnerLead(Person):
    weight = 6
    role = "lead"

    @task(4)
    def my_overdue_actions(self):
        self.get("/api/v1/actions/", owner=self.me["user"], overdue="true")

    @task(3)
    def my_gaps(self):
        self.get("/api/v1/gaps/", programme=self.programme, partner=self.me["partner"],
                 status="open")

    @task(2)
    def my_progress(self):
        self.get(f"/api/v1/programmes/{self.programme}/progress/",
                 name="/api/v1/programmes/{id}/progress/?partner", partner=self.me["partner"])

    @task(1)
    def add_a_note(self):
        if self.me["actions"]:
            self.client.post("/api/v1/action-notes/", json={
                "action": random.choice(self.me["actions"]),
                "text": "Met the team leads; the induction plan is agreed.",
            })

    @task(1)
    def move_an_action_along(self):
        if self.me["actions"]:
            action = random.choice(self.me["actions"])
            self.client.patch(f"/api/v1/actions/{action}/", name="/api/v1/actions/{id}/",
                              json={"status": random.choice(["in_progress", "blocked"])})


class Manager(Person):
    weight = 3
    role = "manager"

    @task(3)
    def programme_progress(self):
        self.get(f"/api/v1/programmes/{self.programme}/progress/",
                 name="/api/v1/programmes/{id}/progress/")

    @task(3)
    def gap_register(self):
        self.get("/api/v1/gaps/", programme=self.programme, status="open",
                 page=random.randint(1, 20))

    @task(3)
    def overdue_actions(self):
        self.get("/api/v1/actions/", programme=self.programme, overdue="true")

    @task(1)
    def action_history(self):
        if self.me["actions"]:
            action = random.choice(self.me["actions"])
            self.get(f"/api/v1/actions/{action}/history/", name="/api/v1/actions/{id}/history/")

    @task(1)
    def new_action(self):
        due = datetime.date.today() + datetime.timedelta(days=random.randint(7, 90))  # noqa: DTZ011
        self.client.post("/api/v1/actions/", json={
            "programme": self.programme,
            "title": "Agree rotation places with the home care providers",
            "owner_partner": random.choice(PEOPLE["partners"]),
            "due_date": due.isoformat(),
            "priority": "medium",
        })


class Provider(Person):
    weight = 1
    role = "provider"

    @task(3)
    def catalogue(self):
        self.get("/api/v1/training-offers/", status="published")

    @task(2)
    def placements(self):
        self.get("/api/v1/placements/", programme=self.programme)

    @task(1)
    def new_offer(self):
        start = datetime.date.today() + datetime.timedelta(days=random.randint(14, 120))  # noqa: DTZ011
        self.client.post("/api/v1/training-offers/", json={
            "provider": self.me["partner"],
            "title": "Trusted assessment for discharge teams",
            "format": "workshop",
            "capacity": 20,
            "start_date": start.isoformat(),
            "end_date": (start + datetime.timedelta(days=1)).isoformat(),
        })
