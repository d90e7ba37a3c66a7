"""The machine's transitions, resolved once per (step, trigger) into a direct lookup.

``flows.machine`` declares the journey as data and transitions builds its ``Machine`` from
that table: the machine stays the definition (and draws ``docs/journey.mmd``). Firing a
trigger through it, though, builds an ``EventData``, resolves every condition and callback
by name and walks the event's lists, for each update: more than the step itself costs.
``Moves`` reads the built machine once, at start-up, and keeps for each (step, trigger) the
transitions in the machine's order, each with its conditions, callbacks and the states'
enter and exit callbacks. ``fire`` then does what transitions does with them, in its order:
the first transition whose conditions hold runs its ``before`` callbacks, leaves the step
(its exit callbacks), sets the new one and enters it, then runs ``after``; a transition
without a destination is internal (callbacks only); a step without a transition for the
trigger raises ``MachineError``. The machine must not change once read.

Only what the table uses is supported; a machine with more (machine-wide callbacks, a
transition's ``prepare``, callbacks given as functions, queued or final states) is refused
here rather than run differently. tests/flows/test_moves.py checks, for every step, trigger
and outcome of the conditions, that ``fire`` and transitions' machine do the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from transitions import Machine, MachineError
from transitions.core import Transition

from flows.machine import Step, Trigger


@dataclass(frozen=True, slots=True)
class Move:
    """One transition from one step: the model methods it asks and calls, by name."""

    conditions: tuple[tuple[str, bool], ...]  # (condition, the outcome it needs), in order
    before: tuple[str, ...]
    dest: Step | None  # None: internal, nothing is left or entered
    exit: tuple[str, ...]  # the source step's exit callbacks
    enter: tuple[str, ...]  # the destination's enter callbacks
    after: tuple[str, ...]


class Stepped(Protocol):
    """A model of the machine: its step; the methods the table names are looked up on it."""

    state: Step


class Moves:
    """What each trigger does in each step, read once from a transitions ``Machine``."""

    def __init__(self, machine: Machine) -> None:
        _check_supported(machine)
        self._moves: dict[tuple[Step, Trigger], tuple[Move, ...]] = {}
        for trigger in Trigger:
            event = machine.events.get(trigger.value)
            if event is None:
                continue
            for source, transitions in event.transitions.items():
                if transitions:
                    step = Step[source]
                    self._moves[step, trigger] = tuple(_move(machine, t) for t in transitions)

    def accepts(self, step: Step, trigger: Trigger) -> bool:
        """Whether the table has a transition for ``trigger`` from ``step``."""
        return (step, trigger) in self._moves

    def allows(self, model: Stepped, trigger: Trigger) -> bool:
        """Whether ``trigger`` would move ``model`` now: a transition from its step whose
        conditions hold (nothing is called but the conditions)."""
        for move in self._moves.get((model.state, trigger), ()):
            for name, needed in move.conditions:
                if bool(getattr(model, name)()) is not needed:
                    break
            else:
                return True
        return False

    def fire(self, model: Stepped, trigger: Trigger) -> bool:
        """Run ``trigger`` on ``model`` as transitions would: True if a transition ran,
        False if none had its conditions met; MachineError when the step has none."""
        state: Step = model.state
        moves = self._moves.get((state, trigger))
        if moves is None:
            raise MachineError(f"Can't trigger event {trigger.value} from state {state.name}!")
        for move in moves:
            if _holds(model, move):
                for name in move.before:
                    getattr(model, name)()
                if move.dest is not None:
                    for name in move.exit:
                        getattr(model, name)()
                    model.state = move.dest
                    for name in move.enter:
                        getattr(model, name)()
                for name in move.after:
                    getattr(model, name)()
                return True
        return False


def _holds(model: Stepped, move: Move) -> bool:
    """Whether every condition of ``move`` gives the outcome it needs, asked in order until
    one does not (as transitions asks them)."""
    for name, needed in move.conditions:  # noqa: SIM110 (no generator: runs on every trigger)
        if getattr(model, name)() != needed:
            return False
    return True


def _move(machine: Machine, transition: Transition) -> Move:
    if transition.prepare:
        raise ValueError(f"a transition from {transition.source} has prepare callbacks")
    conditions = tuple((_name(c.func), bool(c.target)) for c in transition.conditions)
    before, after = _names(transition.before), _names(transition.after)
    if not transition.dest:  # internal: transitions changes no state, calls no state callback
        return Move(conditions, before, None, (), (), after)
    return Move(
        conditions,
        before,
        Step[transition.dest],
        _names(machine.get_state(transition.source).on_exit),
        _names(machine.get_state(transition.dest).on_enter),
        after,
    )


def _check_supported(machine: Machine) -> None:
    """Refuse what ``fire`` does not do as transitions would."""
    wide = (
        "prepare_event",
        "before_state_change",
        "after_state_change",
        "finalize_event",
        "on_exception",
        "on_final",
    )
    used = [name for name in wide if getattr(machine, name)]
    if used:
        raise ValueError(f"machine-wide callbacks are not supported: {used}")
    if machine.has_queue or machine.send_event or machine.ignore_invalid_triggers:
        raise ValueError("a queued machine, send_event and ignored triggers are not supported")
    if machine.model_attribute != "state":
        raise ValueError("the model's step must be its ``state``")
    for name, state in machine.states.items():
        if state.final or state.ignore_invalid_triggers:
            raise ValueError(f"state {name}: final states and ignored triggers are not supported")
        if state.value is not Step[name]:
            raise ValueError(f"state {name} is not the step of that name")
    unknown = set(machine.events) - {t.value for t in Trigger}
    if unknown:
        raise ValueError(f"events without a Trigger: {sorted(unknown)}")


def _names(callbacks: Iterable[object]) -> tuple[str, ...]:
    return tuple(_name(c) for c in callbacks)


def _name(callback: object) -> str:
    if not isinstance(callback, str):
        raise TypeError(f"callbacks must be named methods of the model, not {callback!r}")
    return callback
