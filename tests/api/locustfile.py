"""Locust users for the bounded load test (tests/api/test_load.py): no think time, mixed endpoints.

The run ends after ``PENGUINS_LOAD_REQUESTS`` requests in all (``--run-time`` is only the bound): a count,
not a clock, so a busy machine takes longer but sends the same load.

Run by the test as ``locust --headless`` in its own process (locust patches the
standard library with gevent, which must not happen inside pytest).
"""

import os
import random

import gevent
from locust import FastHttpUser, constant, events, task

from lib.serving.bodies import EXAMPLE

PENGUINS = [
    EXAMPLE,
    {
        "island": "Torgersen",
        "bill_length_mm": 39.1,
        "bill_depth_mm": 18.7,
        "flipper_length_mm": 181,
        "body_mass_g": 3750,
        "sex": "male",
    },
    {
        "island": "Dream",
        "bill_length_mm": 49.5,
        "bill_depth_mm": 18.4,
        "flipper_length_mm": 196,
        "body_mass_g": 3700,
        "sex": None,
    },
]
SPECIES = ["Gentoo", "Adelie", "Chinstrap"]
TARGET = int(os.environ.get("PENGUINS_LOAD_REQUESTS", "0"))  # 0: until --run-time


RUN: dict = {}


@events.init.add_listener
def remember(environment, **_):
    """Keep locust's environment: its statistics count the requests, its runner stops them."""
    RUN["environment"] = environment


@events.request.add_listener
def stop_at_target(**_):
    """Once the target number of requests has been made, stop the run (from a greenlet of its own, once)."""
    environment = RUN.get("environment")
    if TARGET and environment is not None and not RUN.get("stopping"):
        if environment.stats.total.num_requests + 1 >= TARGET:
            RUN["stopping"] = gevent.spawn(environment.runner.quit)


class Client(FastHttpUser):
    """A client that calls the API as fast as it answers."""

    wait_time = constant(0)

    @task(8)
    def predict(self):
        """One penguin; the answer must be its species."""
        index = random.randrange(len(PENGUINS))
        with self.client.post("/predict", json=PENGUINS[index], catch_response=True) as response:
            if response.status_code != 200 or response.json().get("species") != SPECIES[index]:
                response.failure(f"unexpected answer {response.status_code}: {response.text[:200]}")

    @task(1)
    def predict_batch(self):
        """Thirty penguins; answers in order."""
        with self.client.post("/predict/batch", json={"penguins": PENGUINS * 10}, catch_response=True) as response:
            answers = response.json().get("predictions", []) if response.status_code == 200 else []
            if [answer["species"] for answer in answers] != SPECIES * 10:
                response.failure(f"unexpected batch answer {response.status_code}")

    @task(1)
    def health(self):
        """Liveness while under load."""
        self.client.get("/health")
