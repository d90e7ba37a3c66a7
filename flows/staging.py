"""What one update loaded, and every change it stages before the journey persists them.

The base of ``flows.session.Session``: the loaded rows of one participant, the changes staged
in memory (answers, notes, members, the participant's own row) with the loaded lists kept in
step, and the half-finished steps of the context that belong to one round. Nothing here
touches storage or the state machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final

from flows.actions import Action, Keyboard, Send
from flows.canvas import Canvas, Language
from flows.cards import Question
from flows.machine import Step
from flows.messages import Markup, Messages, Template
from flows.model import Answer, Changes, Member, Participant, Partnership

# Context keys of a half-finished step that belongs to one round of the active partnership
# (a theme awaiting a note, typed text offered as a note, a note kept for a question not yet
# answered). The stored context names that round (ROUND_KEY) while one is pending; a new
# round makes them stale, for every member (see ``expire_stale_step``).
ROUND_BOUND: Final = ("note", "typed", "typed_for", "draft", "draft_for")
ROUND_KEY: Final = "round"
# The message id of the live question card, as the transport told it: stored in the context,
# but held beside it during an update (``Staging.card``), so a step that resets the context
# does not forget which card still has buttons.
LIVE_CARD: Final = "card"
# Live cards' keyboards kept for the partner who is shown the same card (``Texts.keyboards``).
KEYBOARDS_KEPT: Final = 1024


@dataclass(slots=True)
class Texts:
    """The content a session renders: the canvas and every user-facing string."""

    canvas: Canvas
    messages: Messages
    # Parts of replies made of content alone (no person's data), made once on first use and
    # kept: by (message key, question id or "", language), a few per question.
    made: dict[tuple[str, str, str], Template] = field(default_factory=dict, repr=False)
    # The live card's words but its header, by (answered question, its score, "not yet
    # relevant", next question, language): content alone, so at most a few per question.
    cards: dict[tuple[str, int | None, bool, str, str], Template] = field(
        default_factory=dict, repr=False
    )
    # The live card's buttons, by (partnership, round, next question, answered question,
    # language): what they name and say. Both partners are shown the same card; the oldest
    # are let go beyond KEYBOARDS_KEPT.
    keyboards: dict[tuple[str, int, str, str, str], Keyboard] = field(
        default_factory=dict, repr=False
    )

    def keep_keyboard(self, key: tuple[str, int, str, str, str], keyboard: Keyboard) -> None:
        kept = self.keyboards
        if len(kept) >= KEYBOARDS_KEPT:
            del kept[next(iter(kept))]  # the oldest: dicts keep the order of insertion
        kept[key] = keyboard


@dataclass(eq=False)
class Staging:
    """The loaded data of one update, the changes it stages and the replies it collects."""

    texts: Texts
    user_id: int
    state: Step
    language: Language
    now: datetime
    active: str | None = None
    context: dict[str, str] = field(default_factory=dict)
    memberships: list[Member] = field(default_factory=list)
    partnership: Partnership | None = None
    members: list[Member] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    languages: dict[int, str] = field(default_factory=dict)  # of ``members``, as stored
    changes: Changes = field(default_factory=Changes)
    replies: list[Action] = field(default_factory=list)
    finished: bool = False  # this update finished the round for this partner
    card: int | None = None  # the live question card's message id (LIVE_CARD)

    def __post_init__(self) -> None:
        live = self.context.pop(LIVE_CARD, "")
        if live.isdigit():
            self.card = int(live)

    def t(self, key: str, /, **values: object) -> Markup:
        return self.texts.messages.fill(key, self.language, values)

    def say(self, text: str, keyboard: Keyboard = ()) -> None:
        self.replies.append(Send(self.user_id, text, keyboard))

    @property
    def me(self) -> Member | None:
        user_id = self.user_id
        for member in self.members:
            if member.user_id == user_id:
                return member
        return None

    # ------------------------------------------------- the context of one round

    def snapshot(self) -> Participant:
        context = dict(self.context)
        if self.partnership is not None and not context.keys().isdisjoint(ROUND_BOUND):
            context.setdefault(ROUND_KEY, self._round_name(self.partnership))
        else:
            context.pop(ROUND_KEY, None)
        if self.card is not None:
            context[LIVE_CARD] = str(self.card)
        return Participant(
            user_id=self.user_id,
            state=self.state.value,
            language=self.language,
            active_partnership=self.active,
            context=context,
            updated_at=self.now,
        )

    @staticmethod
    def _round_name(partnership: Partnership) -> str:
        return f"{partnership.id}:{partnership.round}"

    def expire_stale_step(self) -> None:
        """Drop a half-finished step of an earlier round (a note asked in round 1 must not
        become an answer in round 2): a partner started a new round meanwhile."""
        named = self.context.get(ROUND_KEY)
        partnership = self.partnership
        if named is None or (partnership is not None and named == self._round_name(partnership)):
            return
        for key in (*ROUND_BOUND, ROUND_KEY):
            self.context.pop(key, None)
        self.say(self.t("step_expired"))

    def revisit_queue(self) -> list[str]:
        """The skipped statements still to ask again in this round ([] when not revisiting).

        Kept in the context as "<partnership>:<round>:<id>,<id>", so that it never applies
        to another partnership or round.
        """
        partnership = self.partnership
        stored = self.context.get("revisit", "")
        if partnership is None or not stored:
            return []
        pid, round_, ids = stored.rsplit(":", 2)
        if (pid, round_) != (partnership.id, str(partnership.round)):
            return []
        known = self.texts.canvas.theme_ids
        return [i for i in ids.split(",") if i in known]

    def set_revisit_queue(self, ids: list[str]) -> None:
        partnership = self.partnership
        if partnership is None or not ids:
            self.context.pop("revisit", None)
            return
        self.context["revisit"] = f"{partnership.id}:{partnership.round}:{','.join(ids)}"

    def draft_key(self, question_id: str) -> str:
        """Where a kept note waits for its answer: partnership, round and question."""
        partnership = self.partnership
        where = self._round_name(partnership) if partnership else ""
        return f"{where}:{question_id}"

    def _take_draft(self, question_id: str) -> str | None:
        """A note kept for a question before it was answered, now given with the answer."""
        if self.context.get("draft_for") != self.draft_key(question_id):
            return None
        self.context.pop("draft_for")
        return self.context.pop("draft", None)

    # --------------------------------------------------------- answers and notes

    def stage_answer(self, theme: Question, score: int | None, *, not_yet: bool = False) -> Answer:
        partnership = self.partnership
        if partnership is None:
            raise RuntimeError("an answer needs an active partnership")
        previous = self.answers.get(theme.id)
        answer = Answer(
            partnership_id=partnership.id,
            round=partnership.round,
            user_id=self.user_id,
            theme_id=theme.id,
            canvas_version=self.texts.canvas.version,
            score=score,
            note=previous.note if previous else self._take_draft(theme.id),
            answered_at=self.now,
            not_yet=score is None and not_yet,
        )
        self._put_answer(answer)
        return answer

    def stage_note(self, theme: Question, note: str) -> None:
        previous = self.answers.get(theme.id)
        if previous is None:
            previous = self.stage_answer(theme, None)
        self._put_answer(replace(previous, note=note, answered_at=self.now))

    def _put_answer(self, answer: Answer) -> None:
        self.answers[answer.theme_id] = answer
        staged = self.changes.answers
        staged[:] = [a for a in staged if a.theme_id != answer.theme_id]
        staged.append(answer)

    # -------------------------------------------------------------------- members

    def finish(self) -> None:
        """This partner has answered what they will answer this round: mark them finished
        (once), which lets the journey claim the summary when the other is finished too."""
        me = self.me
        if me is None or not me.role.answers or me.finished_at is not None:
            return
        self.stage_member(replace(me, finished_at=self.now))
        self.finished = True

    def stage_member(self, member: Member) -> None:
        """Stage a whole member row, and keep the loaded lists it belongs to in step.

        Only for a new member or one's own row: a whole-row write of someone else's row could
        bring them back after they were erased meanwhile. For those, ``reopen`` and
        ``stage_reachable`` stage targeted updates."""
        key = (member.partnership_id, member.user_id)
        self._keep_loaded(member)
        self.changes.members = [
            m for m in self.changes.members if (m.partnership_id, m.user_id) != key
        ] + [member]

    def reopen(self, partnership_id: str) -> None:
        """A new round: every existing member of the partnership is unfinished again."""
        self.changes.reopened.append(partnership_id)
        for member in [*self.members, *self.memberships]:
            if member.partnership_id == partnership_id and member.finished_at is not None:
                self._keep_loaded(replace(member, finished_at=None))

    def stage_reachable(self, member: Member) -> None:
        """The member can be reached again (they used the bot): clear the flag only."""
        self.changes.unreachable.append((member.partnership_id, member.user_id, False))
        self._keep_loaded(replace(member, unreachable=False))

    def _keep_loaded(self, member: Member) -> None:
        if self.partnership is not None and member.partnership_id == self.partnership.id:
            self.members = [m for m in self.members if m.user_id != member.user_id] + [member]
        if member.user_id == self.user_id:
            self.memberships = [
                m for m in self.memberships if m.partnership_id != member.partnership_id
            ] + [member]
