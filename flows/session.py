"""One participant's conversation during one update: the model the state machine drives.

A Session holds what was loaded for this update, stages every change in memory and collects
the replies. Entering a state produces that state's prompt; conditions read the loaded data.
Nothing here touches storage: the journey persists ``changes`` after the trigger returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final

from flows import cards
from flows.actions import (
    Action,
    Button,
    ContinueTap,
    Keyboard,
    LanguageTap,
    RevisitTap,
    RoleTap,
    Send,
)
from flows.canvas import Canvas, Language
from flows.cards import Question
from flows.machine import Step
from flows.messages import Markup, Messages
from flows.model import Answer, Changes, Member, Participant, Partnership, Role

# Context keys of a half-finished step that belongs to one round of the active partnership
# (a theme awaiting a note, typed text offered as a note, a note kept for a question not yet
# answered). The stored context names that round (ROUND_KEY) while one is pending; a new
# round makes them stale, for every member (see ``expire_stale_step``).
ROUND_BOUND: Final = ("note", "typed", "typed_for", "draft", "draft_for")
ROUND_KEY: Final = "round"


@dataclass(slots=True)
class Texts:
    """The content a session renders: the canvas and every user-facing string."""

    canvas: Canvas
    messages: Messages


@dataclass(eq=False)
class Session:
    """The model for ``flows.machine``: loaded data, staged changes and the replies."""

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
    # The question just answered by a tap on the live card: the next question replaces it.
    card_after: Question | None = None
    forget: bool = False  # erase the person's data instead of storing this update
    # The client told us a language we speak (Telegram's language_code): no need to ask it.
    language_hinted: bool = False

    # ----------------------------------------------------------------- reading

    def t(self, key: str, /, **values: object) -> Markup:
        return self.texts.messages(key, self.language, **values)

    @property
    def me(self) -> Member | None:
        return next((m for m in self.members if m.user_id == self.user_id), None)

    @property
    def counterpart(self) -> Member | None:
        me = self.me
        if me is None:
            return None
        if me.role is Role.FACILITATOR:
            return None
        return next((m for m in self.members if m.role is me.role.counterpart), None)

    def member(self, role: Role) -> Member | None:
        return next((m for m in self.members if m.role is role), None)

    def open_question(self) -> Question | None:
        """The first ambition or theme, in order of asking, without an answer; while the
        skipped statements are asked again, the first of those still to ask."""
        queue = self.revisit_queue()
        if queue:
            return self.texts.canvas.theme(queue[0])
        for question in self.texts.canvas.questions:
            if question.id not in self.answers:
                return question
        return None

    def skipped(self) -> list[str]:
        """The statements skipped (no score, and not "not yet relevant"), in order of asking."""
        return [
            t.id
            for t in self.texts.canvas.themes
            if (a := self.answers.get(t.id)) is not None and a.score is None and not a.not_yet
        ]

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

    def answered_count(self) -> int:
        return len(self.answers.keys() & self.texts.canvas.question_ids)

    # -------------------------------------------------------------- conditions

    def knows_language(self, *_: object) -> bool:
        return self.language_hinted

    def has_joined(self, *_: object) -> bool:
        """A member of the active partnership already (a facilitator asked the language)."""
        return self.me is not None

    def is_joining(self, *_: object) -> bool:
        return self.context.get("purpose") == "join"

    def answers_canvas(self, *_: object) -> bool:
        me = self.me
        return me is not None and me.role.answers

    def has_open_question(self, *_: object) -> bool:
        return self.open_question() is not None

    def offers_skipped(self, *_: object) -> bool:
        """Every question answered, some statements skipped, and the partner not finished
        yet: the skipped ones are offered once more."""
        me = self.me
        return (
            me is not None
            and me.finished_at is None
            and not self.has_open_question()
            and bool(self.skipped())
        )

    def round_open(self, *_: object) -> bool:
        """Whether the round's answers may still change: its summary is not out yet."""
        partnership = self.partnership
        return partnership is None or partnership.summary_round < partnership.round

    # ------------------------------------------------------------------ staging

    def snapshot(self) -> Participant:
        context = dict(self.context)
        if self.partnership is not None and any(k in context for k in ROUND_BOUND):
            context.setdefault(ROUND_KEY, self._round_name(self.partnership))
        else:
            context.pop(ROUND_KEY, None)
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

    def draft_key(self, question_id: str) -> str:
        """Where a kept note waits for its answer: partnership, round and question."""
        partnership = self.partnership
        where = f"{partnership.id}:{partnership.round}" if partnership else ""
        return f"{where}:{question_id}"

    def _take_draft(self, question_id: str) -> str | None:
        """A note kept for a question before it was answered, now given with the answer."""
        if self.context.get("draft_for") != self.draft_key(question_id):
            return None
        self.context.pop("draft_for")
        return self.context.pop("draft", None)

    def stage_note(self, theme: Question, note: str) -> None:
        previous = self.answers.get(theme.id)
        if previous is None:
            previous = self.stage_answer(theme, None)
        self._put_answer(
            Answer(
                partnership_id=previous.partnership_id,
                round=previous.round,
                user_id=previous.user_id,
                theme_id=previous.theme_id,
                canvas_version=previous.canvas_version,
                score=previous.score,
                note=note,
                answered_at=self.now,
                not_yet=previous.not_yet,
            )
        )

    def _put_answer(self, answer: Answer) -> None:
        self.answers[answer.theme_id] = answer
        staged = self.changes.answers
        staged[:] = [a for a in staged if a.theme_id != answer.theme_id]
        staged.append(answer)

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

    def say(self, text: str, keyboard: Keyboard = ()) -> None:
        self.replies.append(Send(self.user_id, text, keyboard))

    # --------------------------------------------------------------- rendering

    def header(self) -> Markup:
        """Which partnership a message belongs to: own organisation and the partner."""
        me = self.me
        if me is None:
            return Markup("")
        if me.role is Role.FACILITATOR:
            social, business = self.member(Role.SOCIAL), self.member(Role.BUSINESS)
            return self.t(
                "header",
                own=social.organisation if social else self.t("someone"),
                other=business.organisation if business else self.t("someone"),
            )
        other = self.counterpart
        return self.t(
            "header",
            own=me.organisation,
            other=other.organisation if other else self.t("partner_not_joined"),
        )

    # ------------------------------------------------------ transition callbacks

    def creating(self, *_: object) -> None:
        self.context = {"purpose": "create"}

    def drop_note(self, *_: object) -> None:
        """Leave the note step (a kept draft or an offered text stays until its round ends)."""
        self.context.pop("note", None)

    def greet(self, *_: object) -> None:
        """The welcome without the language question (the client told us the language)."""
        self.say(self.t("welcome_known"))

    def confirm_language(self, *_: object) -> None:
        self.say(self.t("language_set"))

    def ask_to_use_buttons(self, *_: object) -> None:
        self.say(self.t("use_buttons"))

    def hint_done(self, *_: object) -> None:
        self.say(self.t("hint_done" if self.round_open() else "hint_done_closed"))

    def refuse_late_change(self, *_: object) -> None:
        """The round's summary is out: nothing of it changes; a new round is the way."""
        self.context.pop("note", None)
        self.say(self.t("round_closed", header=self.header()))

    # ---------------------------------------------------------- entering states

    def on_enter_LANGUAGE(self, *_: object) -> None:  # noqa: N802 (transitions' naming)
        # A facilitator who joined was welcomed as one: only the language is left to ask.
        self.say(self.t("choose_language" if self.me else "welcome"), language_keyboard())

    def on_enter_ORGANISATION(self, *_: object) -> None:  # noqa: N802
        if self.is_joining():
            self.say(self.t("ask_organisation_join", inviter=self.context.get("inviter", "")))
        else:
            self.say(self.t("ask_organisation_new"))

    def on_enter_ROLE(self, *_: object) -> None:  # noqa: N802
        self.say(
            self.t("ask_role", organisation=self.context.get("organisation", "")),
            (
                (Button(self.t("role_social"), RoleTap(Role.SOCIAL)),),
                (Button(self.t("role_business"), RoleTap(Role.BUSINESS)),),
                (Button(self.t("role_facilitator"), RoleTap(Role.FACILITATOR)),),
            ),
        )

    def on_enter_ANSWERING(self, *_: object) -> None:  # noqa: N802
        question = self.open_question()
        if question is None:
            raise RuntimeError("entered ANSWERING without an open question")
        previous, self.card_after = self.card_after, None
        if previous is not None:
            self.replies.append(cards.card(self, question, previous))
            return
        opening = cards.intro(self, question)
        if opening is not None:
            self.say(opening)
        self.say(cards.asking_text(self, question), cards.keyboard(self, question))

    def on_enter_REVISIT(self, *_: object) -> None:  # noqa: N802
        partnership = self.partnership
        if partnership is None:
            raise RuntimeError("entered REVISIT without a partnership")
        count = len(self.skipped())
        ids = (partnership.id, partnership.round)
        self.say(
            self.t("revisit_offer_one" if count == 1 else "revisit_offer", count=count),
            (
                (Button(self.t("button_revisit_now"), RevisitTap(*ids, now=True)),),
                (Button(self.t("button_revisit_finish"), RevisitTap(*ids, now=False)),),
            ),
        )

    def on_enter_NOTE(self, *_: object) -> None:  # noqa: N802
        question = self.texts.canvas.question(self.context.get("note", ""))
        if question is None:
            raise RuntimeError("entered NOTE without a question")
        self.say(
            self.t(
                "ask_note",
                header=self.header(),
                title=question.title(self.language),
                question=question.question(self.language),
            )
        )

    def on_enter_DONE(self, *_: object) -> None:  # noqa: N802
        other = self.counterpart
        if other is not None and other.finished_at is not None:
            self.say(self.t("done_together", header=self.header()))
            return
        self.say(
            self.t(
                "done",
                header=self.header(),
                total=len(self.texts.canvas.questions),
                partner=other.organisation if other else self.t("your_partner"),
            )
        )

    def on_enter_IDLE(self, *_: object) -> None:  # noqa: N802
        me = self.me
        if me is not None and me.role is Role.FACILITATOR:
            partners = [m for m in self.members if m.role.answers]
            done = len(partners) == 2 and all(m.finished_at for m in partners)
            key = "idle_facilitator_done" if done else "idle_facilitator"
            self.say(self.t(key, header=self.header()))
        else:
            self.say(self.t("idle"))


def language_keyboard() -> Keyboard:
    return (
        (
            Button("🇳🇱 Nederlands", LanguageTap("nl")),
            Button("🇬🇧 English", LanguageTap("en")),
        ),
    )


def continue_keyboard(texts: Texts, language: Language) -> Keyboard:
    return ((Button(texts.messages("button_continue", language), ContinueTap()),),)
