"""Each costly answer computed once a session: ``ask(function, *args)`` remembers what ``function`` returned.

Several exercise tests run a solution that takes a minute or more (a drift timeline, five runs of the
gate); the planted wrong answers of ``wrong_answers.py`` that make one mistake in a worked solution's
result ask for the same result again. Keyed by the function itself and its arguments, so a student's
function, a stub or a planted answer is never confused with the worked solution; only calls whose
arguments can be hashed are remembered, and each caller gets its own copy of the result.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

_ANSWERS: dict[tuple, Any] = {}


def ask(function: Callable, *args, **kwargs) -> Any:
    """``function(*args, **kwargs)``, computed once a session when the arguments are hashable."""
    key = (function, args, tuple(sorted(kwargs.items())))
    try:
        hash(key)
    except TypeError:
        key = None
    if key is None:
        return function(*args, **kwargs)
    if key not in _ANSWERS:
        _ANSWERS[key] = function(*args, **kwargs)
    return copy.deepcopy(_ANSWERS[key])
