"""The caller's journey: given where a call is, what the caller did and the time, decide what happens next."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from ivr.core.decision import (
    CONNECTED,
    DIAL_STATUSES,
    OFFERED_SEPARATOR,
    UNIT_NODES,
    Ask,
    Decision,
    Event,
    Forward,
    Hangup,
    Listen,
    Node,
    NodeKind,
    Record,
    Redirect,
    Say,
    Step,
)
from ivr.core.listening import answer_key, fitting, listening, spoken_answer
from ivr.core.model import BACK_KEY, LANGS, OPERATOR_KEY, REPEAT_KEY, Hotline, Lang, Menu, Option, Text, Unit
from ivr.core.schedule import OfficeHours, Status
from ivr.core.speech import fill_prompt, say_hours, say_moment, say_options, say_phone

if TYPE_CHECKING:  # the router's tables (pypinyin, zhconv) load only when a hotline listens
    from ivr.core.router import Router

# Decisions kept for reuse within their minute (cleared when full: a minute's callers repeat a few dozen steps).
DECISIONS_KEPT = 4096
# Only events this small are kept as keys: a key may not hold ten megabytes a request sent as digits.
KEPT_DIGITS = 16
# Sentences up to this long key kept decisions too: callers of one minute often say the same few words ("低保").
KEPT_SPEECH = 200
# A sentence that names no office is answered once with examples; the second time the menu takes keys only.
SPEECH_MISSES = 2


def _keepable(event: Event) -> bool:
    """Tell whether an event is small and common enough to key a kept decision."""
    return (event.recording_url is None and len(event.speech or "") <= KEPT_SPEECH
            and len(event.digits or "") <= KEPT_DIGITS and event.dial_status in (None, *DIAL_STATUSES))


class CallFlow:
    """Decides every step of a call from the hotline, its office hours and the moment."""

    def __init__(self, hotline: Hotline, router: Router | None = None) -> None:
        self.hotline = hotline
        self.hours = OfficeHours(hotline)
        self._decided: dict[tuple[Step, Event, datetime], Decision] = {}
        # Built once per menus version by whoever makes the flow (MenuStore); otherwise at the first sentence.
        self._router = router
        self.listening = listening(hotline)

    @property
    def router(self) -> Router:
        """The speech router of these menus."""
        if self._router is None:
            from ivr.core.router import Router

            self._router = Router.from_hotline(self.hotline)
        return self._router

    def decide(self, step: Step, event: Event, now: datetime) -> Decision:
        """Return what happens at a step, given what the caller or the provider just did."""
        # Office hours open and close on whole minutes, so a step decides the same all minute long: callers at
        # the same place in the same minute share one decision (the moment is taken at the minute's start).
        minute = now.replace(second=0, microsecond=0)
        if not _keepable(event):
            return self._decide(step, event, minute)
        key = (step, event, minute)
        decision = self._decided.get(key)
        if decision is None:
            decision = self._decide(step, event, minute)
            if len(self._decided) >= DECISIONS_KEPT:
                self._decided.clear()
            self._decided[key] = decision
        return decision

    def _decide(self, step: Step, event: Event, now: datetime) -> Decision:
        kind, target = step.node.kind, step.node.target
        lang = step.lang if step.lang in LANGS else None
        if kind == NodeKind.LANGUAGE or lang is None:
            return self._language(step, event, now)
        step = replace(step, lang=lang)
        if kind == NodeKind.MENU and target in self.hotline.menus:
            return self._menu(step, self.hotline.menus[target], event, now)
        if kind == NodeKind.OPERATOR:
            return self._operator(step, now)
        if kind == NodeKind.CONFIRM:
            return self._confirm(step, event, now)
        if kind in UNIT_NODES and target in self.hotline.units:
            return self._unit_node(kind, self.hotline.units[target], step, event, now)
        # A node this hotline does not know (an old URL after a menu edit): start the menus again.
        return self._main_menu(replace(step, tries=0), lang)

    def apology(self, lang: Lang, now: datetime) -> Decision:
        """After an unexpected fault: say sorry, then the main line when the bureau is open, else goodbye."""
        sorry = self._say("error_apology", lang)
        operator = self.hotline.operator
        if self.hours.is_open(operator, now):
            forward = self._forward(operator, Step(Node(NodeKind.DIALED, operator.id), lang))
            return Decision((sorry, forward), "operator", operator.id, out_of_hours=False)
        return Decision((sorry, self._say("goodbye", lang), Hangup()), "goodbye")

    # Language choice ------------------------------------------------------------------------------

    def _language(self, step: Step, event: Event, now: datetime) -> Decision:
        chosen = next((v.lang for v in self.hotline.languages if v.key == event.digits), None)
        if chosen is not None:
            return self._main_menu(Step(Node(NodeKind.MENU, self.hotline.main_menu), chosen), chosen)
        if event.digits == OPERATOR_KEY:
            return self._operator(Step(Node(NodeKind.OPERATOR), self.hotline.languages[0].lang), now)
        if event.digits is None and not event.no_input:
            bureau_closed = not self.hours.is_open(self.hotline.operator, now)
            return Decision((self._language_question(step, greet=True),), "menu", out_of_hours=bureau_closed)
        if event.digits in (REPEAT_KEY, BACK_KEY):  # nothing to go back to: both replay the choice
            return Decision((self._language_question(replace(step, node=Node()), greet=False),), "menu")
        sorry = "invalid_key" if event.digits else "no_input"
        retry = replace(step, node=Node(), tries=step.tries + 1)
        if retry.tries >= self.hotline.settings.tries:
            return self._give_up(self.hotline.languages[0].lang, now, both_languages=True)
        apologies = tuple(self._say(sorry, v.lang) for v in self.hotline.languages)
        return Decision((*apologies, self._language_question(retry, greet=False)), "menu")

    def _language_question(self, step: Step, greet: bool) -> Ask:
        prompts = [self._say("greeting", v.lang) for v in self.hotline.languages] if greet else []
        prompts += [self._say("language_choice", v.lang) for v in self.hotline.languages]
        return self._ask(tuple(prompts), step)

    # Menus ----------------------------------------------------------------------------------------

    def _main_menu(self, step: Step, lang: Lang) -> Decision:
        menu = self.hotline.menus[self.hotline.main_menu]
        step = replace(step, node=Node(NodeKind.MENU, menu.id), back=None)
        return Decision((self._menu_question(menu, step, lang),), "menu")

    def _menu(self, step: Step, menu: Menu, event: Event, now: datetime) -> Decision:
        lang = self._lang(step)
        key = event.digits
        if key is None and event.speech and self.listening:  # a hotline that takes keys only hears no sentence
            return self._heard(menu, step, event, now)
        if (key is None and not event.no_input) or key == REPEAT_KEY:
            return Decision((self._menu_question(menu, replace(step, tries=0), lang),), "menu")
        if key == BACK_KEY:
            if menu.parent is None:
                return self._language(Step(), Event(), now)
            parent = self.hotline.menus[menu.parent]
            return Decision((self._menu_question(parent, Step(Node(NodeKind.MENU, parent.id), lang), lang),), "menu")
        if key == OPERATOR_KEY:
            return self._operator(replace(step, back=menu.id), now)
        option = menu.option(key) if key else None
        if option is not None and option.menu:
            submenu = self.hotline.menus[option.menu]
            return Decision((self._menu_question(submenu, Step(Node(NodeKind.MENU, submenu.id), lang), lang),), "menu")
        if option is not None and option.unit:
            unit = self.hotline.units[option.unit]
            return self._reach_unit(unit, Step(Node(NodeKind.UNIT, unit.id), lang, back=menu.id), now)
        return self._retry(step, event, now, self._menu_question(menu, replace(step, tries=step.tries + 1), lang,
                                                                  short=True))

    def _menu_question(self, menu: Menu, step: Step, lang: Lang, short: bool = False) -> Ask:
        listen = self.listening.get(lang) if step.misses < SPEECH_MISSES else None
        prompts: list[Say] = []
        if menu.intro and not short:
            prompts.append(Say(menu.intro(lang), lang))
        if listen is not None and menu.parent is None and not short and step.misses == 0:
            prompts.append(self._say("speech_invitation", lang))
        prompts.append(Say(say_options(menu, self.hotline.prompt("menu_option", lang), lang), lang))
        prompts.append(self._say("menu_keys", lang))
        return self._ask(tuple(prompts), step, listen)

    # What the caller says -------------------------------------------------------------------------

    def _heard(self, menu: Menu, step: Step, event: Event, now: datetime) -> Decision:
        """Route a sentence said at a menu: forward when one office is clearly meant, otherwise ask."""
        from ivr.core.router import Verdict

        lang = self._lang(step)
        routing = self.router.route(event.speech or "", lang, event.confidence)
        offered = fitting(tuple(u for u in routing.offered if u in self.hotline.units))
        if not offered:
            return self._not_understood(menu, step, lang)
        if routing.verdict is Verdict.FORWARD:
            unit = self.hotline.units[offered[0]]
            reached = self._reach_unit(unit, Step(Node(NodeKind.UNIT, unit.id), lang, back=menu.id), now)
            return replace(reached, offered=offered)
        ask = self._confirm_question(offered, Step(Node(NodeKind.CONFIRM, OFFERED_SEPARATOR.join(offered)), lang,
                                                   back=menu.id), lang)
        return Decision((ask,), "confirm", offered=offered)

    def _not_understood(self, menu: Menu, step: Step, lang: Lang) -> Decision:
        """A sentence naming no office is never forwarded: once it is explained, the second time keys only."""
        misses = min(step.misses + 1, SPEECH_MISSES)
        sorry = self._say("speech_not_understood" if misses < SPEECH_MISSES else "speech_use_keys", lang)
        again = self._menu_question(menu, Step(Node(NodeKind.MENU, menu.id), lang, back=step.back, misses=misses),
                                    lang, short=True)
        return Decision((sorry, again), "not_understood", offered=())

    def _confirm_question(self, offered: tuple[str, ...], step: Step, lang: Lang) -> Ask:
        units = [self.hotline.units[u] for u in offered]
        prompts: tuple[Say, ...]
        if len(units) == 1:
            prompts = (self._say("speech_confirm", lang, unit=units[0].name(lang)),)
        else:
            choices = Menu("", Text("", ""), None, tuple(Option(str(key), unit.name, unit=unit.id)
                                                         for key, unit in enumerate(units, start=1)), None)
            prompts = (self._say("speech_choose", lang),
                       Say(say_options(choices, self.hotline.prompt("menu_option", lang), lang), lang),
                       self._say("menu_keys", lang))
        return self._ask(prompts, step, self.listening.get(lang))

    def _confirm(self, step: Step, event: Event, now: datetime) -> Decision:
        """Keys (or yes, no, a number) when asked to confirm one office or pick one of two or three."""
        lang = self._lang(step)
        offered = tuple(u for u in step.node.target.split(OFFERED_SEPARATOR) if u in self.hotline.units)
        back = self._back_menu_step(step)
        menu = self.hotline.menus[back.node.target]
        if not offered:  # an old URL whose offices the menus no longer have
            return self._main_menu(Step(lang=lang), lang)
        key = event.digits
        if key is None and event.speech and self.listening:
            answer = spoken_answer(event.speech, lang)
            if answer is None:  # a new request ("不是，我要离婚"): routed as if said at the menu
                return self._heard(menu, replace(back, misses=step.misses), event, now)
            key = answer_key(answer, len(offered))
        if key is not None and key.isdigit() and 1 <= int(key) <= len(offered) and (len(offered) > 1 or key == "1"):
            unit = self.hotline.units[offered[int(key) - 1]]
            return self._reach_unit(unit, Step(Node(NodeKind.UNIT, unit.id), lang, back=menu.id), now)
        if len(offered) == 1 and key == "2":
            return Decision((self._say("speech_declined", lang), self._menu_question(menu, back, lang, short=True)),
                            "declined")
        if key == BACK_KEY:
            return Decision((self._menu_question(menu, back, lang),), "menu")
        if key == OPERATOR_KEY:
            return self._operator(step, now)
        if (key is None and not event.no_input) or key == REPEAT_KEY:
            return Decision((self._confirm_question(offered, replace(step, tries=0), lang),), "confirm")
        again = self._confirm_question(offered, replace(step, tries=step.tries + 1), lang)
        return self._retry(step, replace(event, digits=key or None), now, again)

    def _retry(self, step: Step, event: Event, now: datetime, again: Ask) -> Decision:
        lang = self._lang(step)
        if step.tries + 1 >= self.hotline.settings.tries:
            return self._give_up(lang, now)
        sorry = self._say("invalid_key" if event.digits else "no_input", lang)
        return Decision((sorry, again), "menu")

    def _give_up(self, lang: Lang, now: datetime, both_languages: bool = False) -> Decision:
        """After too many tries: the operator when the bureau is open, else a polite goodbye."""
        operator = self.hotline.operator
        if self.hours.is_open(operator, now):
            return self._operator(Step(Node(NodeKind.OPERATOR), lang), now)
        langs = [v.lang for v in self.hotline.languages] if both_languages else [lang]
        farewell = [self._say(p, code) for code in langs for p in ("call_back_later", "goodbye")]
        return Decision((*farewell, Hangup()), "goodbye")

    # Units ----------------------------------------------------------------------------------------

    def _operator(self, step: Step, now: datetime) -> Decision:
        operator = self.hotline.operator
        lang = self._lang(step)
        status = self.hours.status(operator, now)
        if not status.open:
            return self._closed(operator, Step(Node(NodeKind.CLOSED, operator.id), lang, back=step.back), status)
        say = self._say("connecting_operator", lang)
        forward = self._forward(operator, Step(Node(NodeKind.DIALED, operator.id), lang, back=step.back))
        return Decision((say, forward), "operator", operator.id, out_of_hours=False)

    def _reach_unit(self, unit: Unit, step: Step, now: datetime) -> Decision:
        lang = self._lang(step)
        status = self.hours.status(unit, now)
        if not status.open:
            return self._closed(unit, replace(step, node=Node(NodeKind.CLOSED, unit.id), tries=0), status)
        if unit.phone:
            say = self._say("connecting", lang, unit=unit.name(lang))
        else:
            say = self._say("connecting_via_main_line", lang, unit=unit.name(lang))
        forward = self._forward(unit, replace(step, node=Node(NodeKind.DIALED, unit.id), tries=0))
        return Decision((say, forward), "forwarded", unit.id, out_of_hours=False)

    def _forward(self, unit: Unit, next_step: Step) -> Forward:
        return Forward(self.hotline.line_of(unit), unit.id, self.hotline.settings.dial_timeout, next_step)

    def _closed(self, unit: Unit, step: Step, status: Status) -> Decision:
        lang = self._lang(step)
        prompts = [self._say("closed", lang, unit=unit.name(lang), reason=self._reason(status, lang))]
        if status.next_open is not None:
            prompts.append(self._say("next_open", lang, when=say_moment(status.next_open, status.at, lang)))
        prompts.append(self._say("closed_options", lang))
        return Decision((self._ask(tuple(prompts), step),), "closed", unit.id, out_of_hours=True)

    def _reason(self, status: Status, lang: Lang) -> str:
        if status.reason == "holiday" and status.reason_name:
            return self._text("reason_holiday", lang, holiday=status.reason_name(lang))
        if status.reason == "closure" and status.reason_name:
            return self._text("reason_closure", lang, name=status.reason_name(lang))
        prompt = {"weekend": "reason_weekend", "lunch": "reason_lunch", "before_opening": "reason_before_opening"}
        return self._text(prompt.get(status.reason, "reason_after_closing"), lang)

    def _unit_node(self, kind: NodeKind, unit: Unit, step: Step, event: Event, now: datetime) -> Decision:
        if kind == NodeKind.UNIT:
            return self._reach_unit(unit, step, now)
        if kind == NodeKind.DIALED:
            return self._dialed(unit, step, event)
        if kind == NodeKind.RECORD:
            return self._record(unit, step)
        if kind == NodeKind.RECORDED:
            return self._recorded(unit, step, event, now)
        return self._unit_choice(kind, unit, step, event, now)

    def _unit_choice(self, kind: NodeKind, unit: Unit, step: Step, event: Event, now: datetime) -> Decision:
        """Keys at a closed unit, its information, or after a failed forward."""
        lang = self._lang(step)
        key = event.digits
        # The same keys everywhere at a unit: 2 leaves a message; 1 hears the information when closed,
        # or tries the line again after a failed forward.
        if key == "2":
            return self._record(unit, step)
        if kind == NodeKind.CLOSED and key == "1":
            return self._info(unit, replace(step, node=Node(NodeKind.INFO, unit.id), tries=0), now)
        if kind == NodeKind.AFTER and key == "1":
            return self._reach_unit(unit, replace(step, node=Node(NodeKind.UNIT, unit.id), tries=0), now)
        if key == BACK_KEY:
            return self._back(step, now)
        if key == OPERATOR_KEY and unit.id != self.hotline.operator_id:
            return self._operator(step, now)
        if (key is None and not event.no_input) or key == REPEAT_KEY:
            return self._repeat(kind, unit, replace(step, tries=0), now)
        if step.tries + 1 >= self.hotline.settings.tries:
            return self._give_up(lang, now)
        again = self._repeat(kind, unit, replace(step, tries=step.tries + 1), now)
        sorry = self._say("invalid_key" if key else "no_input", lang)
        return replace(again, actions=(sorry, *again.actions))

    def _repeat(self, kind: NodeKind, unit: Unit, step: Step, now: datetime) -> Decision:
        if kind == NodeKind.INFO:
            return self._info(unit, step, now)
        if kind == NodeKind.AFTER:
            return self._after_dial(unit, step, None)
        status = self.hours.status(unit, now)
        if status.open:  # it opened while the caller listened: put them through rather than say it is closed
            return self._reach_unit(unit, replace(step, node=Node(NodeKind.UNIT, unit.id)), now)
        return self._closed(unit, step, status)

    def _back(self, step: Step, now: datetime) -> Decision:
        lang = self._lang(step)
        back = self._back_menu_step(step)
        menu = self.hotline.menus[back.node.target]
        return Decision((self._menu_question(menu, back, lang),), "menu")

    def _info(self, unit: Unit, step: Step, now: datetime) -> Decision:
        lang = self._lang(step)
        local = self.hours.local(now)
        hours = say_hours(self.hours.outlook(unit, local.date()), lang)
        info = self._say("info", lang, unit=unit.name(lang), phone=say_phone(self.hotline.line_of(unit), lang),
                         address=unit.address(lang), postcode=unit.postcode, hours=hours, summary=unit.summary(lang))
        return Decision((self._ask((info, self._say("info_options", lang)), step),), "info", unit.id)

    def _dialed(self, unit: Unit, step: Step, event: Event) -> Decision:
        lang = self._lang(step)
        status = event.dial_status if event.dial_status in DIAL_STATUSES else "failed"
        if status in CONNECTED:
            return Decision((self._say("goodbye", lang), Hangup()), "connected", unit.id)
        return self._after_dial(unit, replace(step, node=Node(NodeKind.AFTER, unit.id), tries=0), status)

    def _after_dial(self, unit: Unit, step: Step, dial_status: str | None) -> Decision:
        lang = self._lang(step)
        prompts = []
        if dial_status is not None:
            prompts.append(self._say(f"dial_{dial_status.replace('-', '_')}", lang))
        prompts.append(self._say("after_dial_options", lang))
        return Decision((self._ask(tuple(prompts), step),), "not_connected", unit.id)

    def _record(self, unit: Unit, step: Step) -> Decision:
        lang = self._lang(step)
        record = Record(unit.id, self.hotline.settings.voicemail_max_seconds,
                        replace(step, node=Node(NodeKind.RECORDED, unit.id), tries=0))
        # The provider goes on past <Record> only when nothing was recorded: back to the menu the caller came from.
        nothing = (self._say("voicemail_empty", lang), Redirect(self._back_menu_step(step)))
        return Decision((self._say("voicemail_instructions", lang), record, *nothing), "voicemail", unit.id)

    def _recorded(self, unit: Unit, step: Step, event: Event, now: datetime) -> Decision:
        lang = self._lang(step)
        if event.recording_url and (event.recording_seconds or 0) > 0:
            return Decision((self._say("voicemail_thanks", lang), Hangup()), "voicemail_saved", unit.id)
        back = self._back(step, now)
        return replace(back, actions=(self._say("voicemail_empty", lang), *back.actions))

    def _back_menu_step(self, step: Step) -> Step:
        menu_id = step.back if step.back is not None and step.back in self.hotline.menus else self.hotline.main_menu
        return Step(Node(NodeKind.MENU, menu_id), step.lang)

    # Helpers --------------------------------------------------------------------------------------

    def _ask(self, prompts: tuple[Say, ...], step: Step, listen: Listen | None = None) -> Ask:
        return Ask(prompts, step, self.hotline.settings.gather_timeout, listen)

    def _say(self, prompt_id: str, lang: Lang, **fields: str) -> Say:
        prompt = self.hotline.prompts[prompt_id]
        audio = prompt.audio.get(lang) if not fields else None
        return Say(self._text(prompt_id, lang, **fields), lang, audio)

    def _text(self, prompt_id: str, lang: Lang, **fields: str) -> str:
        return fill_prompt(self.hotline.prompt(prompt_id, lang), **fields)

    def _lang(self, step: Step) -> Lang:
        return step.lang if step.lang in LANGS else self.hotline.languages[0].lang
