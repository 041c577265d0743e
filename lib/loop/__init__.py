"""Closing the loop (lesson 5.2): a season the champion gets wrong, its labels, a challenger, the gate, the switch.

- :mod:`~lib.loop.season`: the 2026-27 season, measured under a new culmen protocol, and
  its labelled delivery in the LTER export's format;
- :mod:`~lib.loop.feedback`: the labels joined to the prediction log on the request id; the
  labelled performance against the requirements, beside the drift signal of lesson 5.1;
- :mod:`~lib.loop.gate`: the promotion gate (the requirements and the group gaps on the season's
  held-out birds, no regression against the champion, a minimum number of birds, the behavioural
  tests, latency);
- :mod:`~lib.loop.promotion`: moving the registry alias and exporting what it names, for
  promotion and rollback.

The API side of the loop, switching models without a restart, is :mod:`lib.serving.reloading`.
"""
