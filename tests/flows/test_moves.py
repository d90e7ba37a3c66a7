"""The lookup the journey fires triggers through does what transitions' own Machine does."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from transitions import Machine, MachineError

from flows.machine import STATES, TABLE, TRANSITIONS, Step, Trigger, build_machine
from flows.moves import Moves


def _named(key: str) -> set[str]:
    return {name for row in [*TRANSITIONS, *STATES] for name in _listed(row.get(key, []))}


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


# Callbacks the table does not use (yet) at every place it could: on leaving every step,
# before and after every transition, so the order of all of them is compared too.
LEFT, AHEAD, BEHIND = "left", "ahead", "behind"
CONDITIONS = sorted(_named("conditions") | _named("unless"))
CALLBACKS = sorted(_named("before") | _named("after") | _named("on_enter") | {LEFT, AHEAD, BEHIND})


def _machine(**changes: Any) -> Machine:
    table = {**TABLE, **changes}
    return Machine(**table, model=None, initial=None, ignore_invalid_triggers=False)


def busy_machine() -> Machine:
    """The machine of TABLE with a callback everywhere one can be."""
    states = [{**state, "on_exit": [LEFT]} for state in STATES]
    transitions = [
        {
            **row,
            "before": [*_listed(row.get("before", [])), AHEAD],
            "after": [*_listed(row.get("after", [])), BEHIND],
        }
        for row in TRANSITIONS
    ]
    return _machine(states=states, transitions=transitions)


class Recorder:
    """A model whose conditions answer from ``outcomes`` and whose callbacks only record:
    each call with the step the model was in at that moment."""

    def __init__(self, state: Step, outcomes: dict[str, bool]) -> None:
        self.state = state
        self.outcomes = outcomes
        self.calls: list[tuple[str, Step]] = []

    def __getattr__(self, name: str) -> Callable[..., bool | None]:
        if name in CONDITIONS:

            def condition(*_: object) -> bool:
                self.calls.append((f"{name}?", self.state))
                return self.outcomes[name]

            return condition
        if name in CALLBACKS:

            def callback(*_: object) -> None:
                self.calls.append((name, self.state))

            return callback
        raise AttributeError(name)


def by_transitions(machine: Machine, model: Recorder, trigger: Trigger) -> bool | type[Exception]:
    try:
        return bool(machine.events[trigger.value].trigger(model))
    except MachineError:
        return MachineError


def by_moves(moves: Moves, model: Recorder, trigger: Trigger) -> bool | type[Exception]:
    try:
        return moves.fire(model, trigger)
    except MachineError:
        return MachineError


def asked(machine: Machine, step: Step, trigger: Trigger) -> list[str]:
    """The conditions the table's transitions for ``trigger`` from ``step`` ask."""
    transitions = machine.events[trigger.value].transitions.get(step.name, [])
    return sorted({str(c.func) for t in transitions for c in t.conditions})


@pytest.mark.parametrize("build", [build_machine, busy_machine], ids=["table", "busy"])
@pytest.mark.parametrize("step", list(Step), ids=lambda s: s.name)
def test_every_trigger_in_every_step_does_what_transitions_does(
    build: Callable[[], Machine], step: Step
) -> None:
    """For every trigger, and every outcome of the conditions it asks: the same result (moved,
    not moved, MachineError), the same step after, and the same conditions and callbacks
    called in the same order, each in the same step, as transitions' Machine from TABLE (and
    from TABLE with a callback added at every place one can be)."""
    machine = build()
    moves = Moves(machine)
    compared = 0
    for trigger in Trigger:
        names = asked(machine, step, trigger)
        for outcome in itertools.product((False, True), repeat=len(names)):
            outcomes = dict(zip(names, outcome, strict=True))
            ours, theirs = Recorder(step, outcomes), Recorder(step, outcomes)
            result = by_moves(moves, ours, trigger)
            assert result == by_transitions(machine, theirs, trigger), (trigger, outcomes)
            assert ours.state is theirs.state, (trigger, outcomes)
            assert ours.calls == theirs.calls, (trigger, outcomes)
            allowed = Recorder(step, outcomes)
            assert moves.allows(allowed, trigger) is (result is True), (trigger, outcomes)
            assert all(name.endswith("?") for name, _ in allowed.calls)  # nothing but asking
            compared += 1
        assert moves.accepts(step, trigger) is (trigger.value in machine.get_triggers(step))
    assert compared >= len(Trigger)


def test_the_table_has_moves_for_every_trigger_and_its_callbacks_move_the_step() -> None:
    """The comparison above is not empty: every trigger fires somewhere, and some
    transitions enter a step (on_enter called after the step is set), others are internal."""
    moves = Moves(build_machine())
    for trigger in Trigger:
        assert any(moves.accepts(step, trigger) for step in Step), trigger
    model = Recorder(Step.ANSWERING, dict.fromkeys(CONDITIONS, True))
    moves.fire(model, Trigger.NOTE_OPENED)
    assert model.state is Step.NOTE
    assert model.calls[-1] == ("on_enter_NOTE", Step.NOTE)
    model = Recorder(Step.DONE, dict.fromkeys(CONDITIONS, True))
    moves.fire(model, Trigger.TEXT_KEPT)
    assert (model.state, model.calls) == (Step.DONE, [])


@pytest.mark.parametrize(
    "machine",
    [
        pytest.param(lambda: _machine(prepare_event="drop_note"), id="machine-wide callback"),
        pytest.param(
            lambda: _machine(transitions=[*TRANSITIONS, {**TRANSITIONS[0], "prepare": "greet"}]),
            id="prepare",
        ),
        pytest.param(
            lambda: _machine(transitions=[*TRANSITIONS, {**TRANSITIONS[0], "before": print}]),
            id="callback as a function",
        ),
        pytest.param(
            lambda: _machine(transitions=[*TRANSITIONS, {**TRANSITIONS[0], "trigger": "x"}]),
            id="event without a Trigger",
        ),
        pytest.param(lambda: _machine(queued=True), id="queued"),
    ],
)
def test_a_machine_with_what_moves_does_not_run_is_refused(machine: Callable[[], Machine]) -> None:
    """What the table does not use is refused at start-up rather than run differently."""
    with pytest.raises((TypeError, ValueError)):
        Moves(machine())
