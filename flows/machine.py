"""The journey of one participant as a finite-state machine, declared as data.

One ``Machine`` serves every participant and holds no model. For each update the journey
loads the participant's state from storage into a Session, fires one trigger on it through
``machine.events[...].trigger(session)`` (the machine reads and sets ``session.state``), and
only then persists state and answers in one transaction (callbacks only stage changes in
memory, so a failure leaves nothing half-written). Nothing is added to or removed from the
machine per update: attaching a model costs more than the transition itself. Conditions and
callbacks are synchronous (they read loaded data and stage replies), so the plain Machine
serves; an AsyncMachine would only wrap each of them in a coroutine.

Triggers are named after what happened; conditions choose the destination; entering a state
produces that state's reply. ``docs/journey.mmd`` is generated from this table.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Final

from transitions import Machine


class Step(Enum):
    NEW = "new"  # never seen: welcome and ask the language
    LANGUAGE = "language"  # choosing Dutch or English
    ORGANISATION = "organisation"  # typing the organisation's name (to start or to join)
    ROLE = "role"  # choosing social enterprise, regular business or facilitator
    ANSWERING = "answering"  # a question is on screen
    NOTE = "note"  # the next text message is a note to one theme
    DONE = "done"  # every theme of the active partnership answered
    IDLE = "idle"  # no question to answer: no partnership yet, or a facilitator


class Trigger(Enum):
    """What happened; each names a row group of TRANSITIONS."""

    GREETED = "greeted"
    LANGUAGE_CHOSEN = "language_chosen"
    ONBOARDING_STARTED = "onboarding_started"
    ORGANISATION_NAMED = "organisation_named"
    ROLE_CHOSEN = "role_chosen"
    ANSWERED = "answered"
    ANSWER_CHANGED = "answer_changed"
    NOTE_OPENED = "note_opened"
    NOTE_GIVEN = "note_given"
    RESUMED = "resumed"
    CANCELLED = "cancelled"
    SWITCHED = "switched"


S = Step
T = Trigger
_EVERY: Final = list(Step)
_SETTLED: Final = [S.ANSWERING, S.NOTE, S.DONE, S.IDLE]

# Where a participant settles when nothing is pending: the first open question, done, or idle.
_SETTLE: Final[tuple[tuple[Step, list[str]], ...]] = (
    (S.ANSWERING, ["answers_canvas", "has_open_question"]),
    (S.DONE, ["answers_canvas"]),
    (S.IDLE, []),
)


def _settling(trigger: Trigger, source: list[Step] | Step) -> list[dict[str, Any]]:
    return [
        {"trigger": trigger.value, "source": source, "dest": dest, "conditions": conditions}
        for dest, conditions in _SETTLE
    ]


TRANSITIONS: Final[list[dict[str, Any]]] = [
    # First contact, and starting a new partnership or joining one by invite.
    {"trigger": T.GREETED.value, "source": S.NEW, "dest": S.LANGUAGE},
    {"trigger": T.LANGUAGE_CHOSEN.value, "source": S.LANGUAGE, "dest": S.ORGANISATION},
    {"trigger": T.LANGUAGE_CHOSEN.value, "source": _SETTLED, "dest": None},
    {
        "trigger": T.ONBOARDING_STARTED.value,
        "source": [S.ORGANISATION, S.ROLE, *_SETTLED],
        "dest": S.ORGANISATION,
    },
    {"trigger": T.ONBOARDING_STARTED.value, "source": [S.NEW, S.LANGUAGE], "dest": S.LANGUAGE},
    {
        "trigger": T.ORGANISATION_NAMED.value,
        "source": S.ORGANISATION,
        "dest": S.ROLE,
        "unless": "is_joining",
    },
    *_settling(T.ORGANISATION_NAMED, S.ORGANISATION),
    *_settling(T.ROLE_CHOSEN, S.ROLE),
    # Answering, phase by phase; a note can be added to any answered theme.
    *_settling(T.ANSWERED, [S.ANSWERING, S.NOTE, S.DONE]),
    {"trigger": T.ANSWER_CHANGED.value, "source": [S.ANSWERING, S.NOTE, S.DONE], "dest": None},
    {"trigger": T.NOTE_OPENED.value, "source": [S.ANSWERING, S.NOTE, S.DONE], "dest": S.NOTE},
    *_settling(T.NOTE_GIVEN, S.NOTE),
    # Coming back, cancelling, switching partnership: settle where the answers say.
    *_settling(T.RESUMED, _SETTLED),
    *_settling(T.CANCELLED, [S.ORGANISATION, S.ROLE, *_SETTLED]),
    *_settling(T.SWITCHED, _SETTLED),
]


# Entering a state shows that state's prompt: the model's ``on_enter_<NAME>`` method.
STATES: Final[list[dict[str, Any]]] = [
    {"name": step, "on_enter": [] if step is S.NEW else [f"on_enter_{step.name}"]} for step in Step
]


def build_machine() -> Machine:
    """The one machine, without models: triggers are fired on a model passed in."""
    return Machine(
        model=None,
        states=STATES,
        transitions=TRANSITIONS,
        initial=None,
        auto_transitions=False,
        ignore_invalid_triggers=False,
        send_event=False,
    )


def mermaid() -> str:
    """The machine as a Mermaid state diagram (regenerate docs/journey.mmd with it)."""
    lines = ["stateDiagram-v2", "    [*] --> new"]
    seen: set[tuple[str, str, str]] = set()
    for t in TRANSITIONS:
        sources = t["source"] if isinstance(t["source"], list) else [t["source"]]
        for source in sources:
            dest = source if t["dest"] is None else t["dest"]
            edge = (source.value, dest.value, t["trigger"])
            if edge not in seen:
                seen.add(edge)
                lines.append(f"    {edge[0]} --> {edge[1]}: {edge[2]}")
    return "\n".join(lines) + "\n"
