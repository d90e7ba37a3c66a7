"""The journey of one participant as a finite-state machine, declared as data.

One ``Machine`` serves every participant and holds no model. For each update the journey
loads the participant's state from storage into a Session, fires one trigger on it (the
machine's transitions read and set ``session.state``), and only then persists state and
answers in one transaction (callbacks only stage changes in memory, so a failure leaves
nothing half-written). Nothing is added to or removed from the machine per update:
attaching a model costs more than the transition itself. Conditions and callbacks are
synchronous (they read loaded data and stage replies), so the plain Machine serves; an
AsyncMachine would only wrap each of them in a coroutine. The machine's transitions are
read once at start-up into a lookup per (step, trigger) that fires them as transitions
would, without its per-event machinery (``flows.moves``).

Triggers are named after what happened; conditions choose the destination; entering a state
produces that state's reply, and a reflexive transition (``dest="="``) shows it again. The
table is the only place that says what a step allows: the features ask it (the journey's
``accepts`` and ``allows``) rather than test the state themselves. ``docs/journey.mmd`` is
drawn from it by transitions.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Final

from transitions import Machine
from transitions.extensions.diagrams import GraphMachine


class Step(Enum):
    NEW = "new"  # never seen: welcome and ask the language
    LANGUAGE = "language"  # choosing Dutch or English
    ORGANISATION = "organisation"  # typing the organisation's name (to start or to join)
    ROLE = "role"  # choosing social enterprise, regular business or facilitator
    ANSWERING = "answering"  # a question is on screen
    REVISIT = "revisit"  # every question answered, some skipped: answer them now, or finish?
    NOTE = "note"  # the next text message is a note to one theme
    DONE = "done"  # every theme of the active partnership answered
    IDLE = "idle"  # no question to answer: no partnership yet, or a facilitator

    # A member is a singleton compared by identity: hashed by identity too, in C (Enum's own
    # hash is a Python call, made for every (step, trigger) looked up in flows.moves).
    __hash__ = object.__hash__


class Trigger(Enum):
    """What happened; each names a row group of TRANSITIONS."""

    LANGUAGE_CHOSEN = "language_chosen"
    ONBOARDING_STARTED = "onboarding_started"
    ORGANISATION_NAMED = "organisation_named"
    ROLE_CHOSEN = "role_chosen"
    JOINED = "joined"  # joined by invite without naming an organisation (a facilitator)
    ANSWERED = "answered"
    ANSWER_CHANGED = "answer_changed"
    NOTE_OPENED = "note_opened"
    NOTE_GIVEN = "note_given"
    TEXT_HELD = "text_held"  # text while a question is open: offered as a note
    TEXT_KEPT = "text_kept"  # the offer answered: kept as a note, or not
    REVISIT_CHOSEN = "revisit_chosen"  # the skipped statements: now, or finish as they are
    RESUMED = "resumed"
    CANCELLED = "cancelled"
    SWITCHED = "switched"
    TEXT_SENT = "text_sent"  # a text that is neither an organisation's name nor a note
    OTHER_SENT = "other_sent"  # a sticker, photo, edit or unknown command
    ASKED_EARLY = "asked_early"  # a command about a partnership before the language is chosen
    LATE_CHANGE = "late_change"  # a change or a note to a round whose summary is out

    __hash__ = object.__hash__  # as Step's


S = Step
T = Trigger
_EVERY: Final = list(Step)
_SETTLED: Final = [S.ANSWERING, S.REVISIT, S.NOTE, S.DONE, S.IDLE]
_ASKING: Final = [S.LANGUAGE, S.ORGANISATION, S.ROLE]  # a prompt waits for an answer

# Where a participant settles when nothing is pending: the first open question, the skipped
# statements offered again, done, or idle.
_SETTLE: Final[tuple[tuple[Step, list[str]], ...]] = (
    (S.ANSWERING, ["answers_canvas", "has_open_question"]),
    (S.REVISIT, ["answers_canvas", "offers_skipped"]),
    (S.DONE, ["answers_canvas"]),
    (S.IDLE, []),
)


def _settling(
    trigger: Trigger, source: list[Step] | Step, *guards: str, **callbacks: str
) -> list[dict[str, Any]]:
    """Settle where the answers say, if every one of ``guards`` (conditions) holds."""
    return [
        {
            "trigger": trigger.value,
            "source": source,
            "dest": dest,
            "conditions": [*guards, *conditions],
            **callbacks,
        }
        for dest, conditions in _SETTLE
    ]


def _greeting(trigger: Trigger) -> list[dict[str, Any]]:
    """Someone new: welcome them (to start a partnership); ask the language only when their
    client did not tell it."""
    return [
        {
            "trigger": trigger.value,
            "source": S.NEW,
            "dest": S.ORGANISATION,
            "conditions": ["knows_language"],
            "before": ["creating", "greet"],
        },
        {"trigger": trigger.value, "source": S.NEW, "dest": S.LANGUAGE, "before": "creating"},
    ]


# ``dest: "="`` is a reflexive transition: the state is entered again, so its prompt is shown
# again. ``dest: None`` is internal: nothing is entered, only the callbacks run.
TRANSITIONS: Final[list[dict[str, Any]]] = [
    # First contact, and starting a new partnership or joining one by invite.
    {
        "trigger": T.ONBOARDING_STARTED.value,
        "source": S.NEW,
        "dest": S.ORGANISATION,
        "conditions": ["knows_language"],
        "before": "greet",
    },
    {"trigger": T.ONBOARDING_STARTED.value, "source": [S.NEW, S.LANGUAGE], "dest": S.LANGUAGE},
    {
        "trigger": T.ONBOARDING_STARTED.value,
        "source": [S.ORGANISATION, S.ROLE, *_SETTLED],
        "dest": S.ORGANISATION,
    },
    # The language, chosen when asked, or any time with /language: even before /start (then
    # the welcome follows in it), and mid-canvas (then the open question again, in it).
    {
        "trigger": T.LANGUAGE_CHOSEN.value,
        "source": S.NEW,
        "dest": S.ORGANISATION,
        "before": ["creating", "greet"],
    },
    *_settling(T.LANGUAGE_CHOSEN, S.LANGUAGE, "has_joined"),
    {"trigger": T.LANGUAGE_CHOSEN.value, "source": S.LANGUAGE, "dest": S.ORGANISATION},
    {
        "trigger": T.LANGUAGE_CHOSEN.value,
        "source": [S.ORGANISATION, S.ROLE, S.NOTE],
        "dest": "=",
        "before": "confirm_language",
    },
    *_settling(T.LANGUAGE_CHOSEN, [S.ANSWERING, S.REVISIT], before="confirm_language"),
    {
        "trigger": T.LANGUAGE_CHOSEN.value,
        "source": [S.DONE, S.IDLE],
        "dest": None,
        "after": "confirm_language",
    },
    {
        "trigger": T.ORGANISATION_NAMED.value,
        "source": S.ORGANISATION,
        "dest": S.ROLE,
        "unless": "is_joining",
    },
    *_settling(T.ORGANISATION_NAMED, S.ORGANISATION),
    *_settling(T.ROLE_CHOSEN, S.ROLE),
    # A facilitator joins by invite with no name to give: the language first if unknown.
    {"trigger": T.JOINED.value, "source": S.NEW, "dest": S.LANGUAGE, "unless": ["knows_language"]},
    {"trigger": T.JOINED.value, "source": S.LANGUAGE, "dest": "="},
    *_settling(T.JOINED, [S.NEW, S.ORGANISATION, S.ROLE, *_SETTLED]),
    # Answering, phase by phase; a note can be added to any answered theme. Once the round's
    # summary is out (``round_open`` fails) its answers and notes are locked: the features ask
    # the table (the journey's ``allows``) and fire LATE_CHANGE instead, which refuses and
    # stores nothing.
    *_settling(T.ANSWERED, [S.ANSWERING, S.REVISIT, S.NOTE, S.DONE], "round_open"),
    # A change from /review returns to where the person was: the open question, or done.
    *_settling(T.ANSWER_CHANGED, [S.ANSWERING, S.REVISIT, S.NOTE], "round_open"),
    {
        "trigger": T.ANSWER_CHANGED.value,
        "source": S.DONE,
        "dest": None,
        "conditions": ["round_open"],
        "unless": "has_open_question",
        "after": "hint_done",
    },
    *_settling(T.ANSWER_CHANGED, S.DONE, "round_open"),
    {
        "trigger": T.NOTE_OPENED.value,
        "source": [S.ANSWERING, S.REVISIT, S.NOTE, S.DONE],
        "dest": S.NOTE,
        "conditions": ["round_open"],
    },
    *_settling(T.NOTE_GIVEN, S.NOTE, "round_open"),
    {
        "trigger": T.LATE_CHANGE.value,
        "source": [S.ANSWERING, S.REVISIT, S.DONE],
        "dest": None,
        "after": "refuse_late_change",
    },
    *_settling(T.LATE_CHANGE, S.NOTE, before="refuse_late_change"),
    # Text typed while a question is open is offered as a note, and the question (or the
    # offer of the skipped ones) is shown again below it: the buttons stay at hand.
    {"trigger": T.TEXT_HELD.value, "source": [S.ANSWERING, S.REVISIT], "dest": "="},
    {
        "trigger": T.TEXT_KEPT.value,
        "source": [S.ANSWERING, S.REVISIT, S.NOTE, S.DONE],
        "dest": None,
    },
    # Skipped statements are offered once more before a partner finishes.
    *_settling(T.REVISIT_CHOSEN, S.REVISIT),
    # Coming back: a pending prompt again, else settle where the answers say.
    *_greeting(T.RESUMED),
    {"trigger": T.RESUMED.value, "source": _ASKING, "dest": "="},
    *_settling(T.RESUMED, _SETTLED, before="drop_note"),
    # Cancelling and switching partnership: settle where the answers say.
    *_settling(T.CANCELLED, [S.ORGANISATION, S.ROLE, S.NOTE]),
    *_settling(T.SWITCHED, _SETTLED),
    # Input the step cannot use: a hint, and the step's prompt again.
    *_greeting(T.TEXT_SENT),
    {
        "trigger": T.TEXT_SENT.value,
        "source": [S.LANGUAGE, S.ROLE],
        "dest": "=",
        "before": "ask_to_use_buttons",
    },
    {
        "trigger": T.TEXT_SENT.value,
        "source": S.DONE,
        "dest": None,
        "unless": "has_open_question",
        "after": "hint_done",
    },
    *_settling(T.TEXT_SENT, [S.DONE, S.IDLE]),
    *_greeting(T.OTHER_SENT),
    {"trigger": T.OTHER_SENT.value, "source": [*_ASKING, S.NOTE], "dest": "="},
    *_settling(T.OTHER_SENT, [S.ANSWERING, S.REVISIT, S.DONE, S.IDLE]),
    *_greeting(T.ASKED_EARLY),
    {"trigger": T.ASKED_EARLY.value, "source": S.LANGUAGE, "dest": "="},
]


# Entering a state shows that state's prompt: the model's ``on_enter_<NAME>`` method.
STATES: Final[list[dict[str, Any]]] = [
    {"name": step, "on_enter": [] if step is S.NEW else [f"on_enter_{step.name}"]} for step in Step
]


# What the running machine and its drawing share: the table, and no triggers beside it.
TABLE: Final[dict[str, Any]] = {
    "states": STATES,
    "transitions": TRANSITIONS,
    "auto_transitions": False,
}


def build_machine() -> Machine:
    """The one machine, without models: triggers are fired on a model passed in."""
    return Machine(
        **TABLE,
        model=None,
        initial=None,
        ignore_invalid_triggers=False,
        send_event=False,
    )


def mermaid() -> str:
    """The machine as a Mermaid state diagram, drawn by transitions (docs/journey.mmd)."""

    class Drawn:
        """A model only for drawing: the graph machine attaches the diagram to it."""

    model = Drawn()
    GraphMachine(
        **TABLE,
        model=model,
        initial=Step.NEW,
        graph_engine="mermaid",
        show_conditions=True,
        title="The journey of one participant",
    )
    source: str = model.get_graph().source  # type: ignore[attr-defined]
    return source.rstrip() + "\n"
