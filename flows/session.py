"""One participant's conversation during one update: the model the state machine drives.

A Session holds what was loaded for this update, stages every change in memory and collects
the replies (those parts live in its base, ``flows.staging.Staging``). Here: what the machine
asks and calls: its conditions, its transition callbacks and each step's prompt. Nothing here
touches storage: the journey persists ``changes`` after the trigger returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import filterfalse

from flows import cards
from flows.actions import Button, ContinueTap, Keyboard, LanguageTap, RevisitTap, RoleTap
from flows.canvas import Language
from flows.cards import Question
from flows.messages import Markup
from flows.model import Member, Role
from flows.staging import Staging, Texts

__all__ = ["Session", "Texts", "continue_keyboard", "language_keyboard"]


@dataclass(eq=False)
class Session(Staging):
    """The model for ``flows.machine``: conditions, callbacks and prompts over the loaded data."""

    # The question just answered by a tap on the live card: the next question replaces it.
    card_after: Question | None = None
    tapped: int | None = None  # the message whose button this update's tap came from
    forget: bool = False  # erase the person's data instead of storing this update
    # A facilitator welcomed in this update: the welcome says what the idle line would.
    welcomed: bool = False
    # The client told us a language we speak (Telegram's language_code): no need to ask it.
    language_hinted: bool = False

    # ----------------------------------------------------------------- reading

    @property
    def counterpart(self) -> Member | None:
        me = self.me
        if me is None:
            return None
        if me.role is Role.FACILITATOR:
            return None
        return self.member(me.role.counterpart)

    def member(self, role: Role) -> Member | None:
        for member in self.members:
            if member.role is role:
                return member
        return None

    def open_question(self) -> Question | None:
        """The first ambition or theme, in order of asking, without an answer; while the
        skipped statements are asked again, the first of those still to ask."""
        if self.context.get("revisit"):  # else there is no queue: no need to ask for it
            queue = self.revisit_queue()
            if queue:
                return self.texts.canvas.theme(queue[0])
        canvas = self.texts.canvas
        # The first id not answered, looked for in C: this is asked several times per answer.
        first = next(filterfalse(self.answers.__contains__, canvas.question_order), None)
        return None if first is None else canvas.question(first)

    def skipped(self) -> list[str]:
        """The statements skipped (no score, and not "not yet relevant"), in order of asking."""
        return [
            t.id
            for t in self.texts.canvas.themes
            if (a := self.answers.get(t.id)) is not None and a.score is None and not a.not_yet
        ]

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
        cards.send_fresh(self, question)

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
        # Whatever way led here (the last answer, the skips left open, a change from
        # /review), "done" is what the partner is told, so done is what they are.
        self.finish()
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
        if self.welcomed:
            return
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
