"""Free speech in a collect node: the words said are stored in the variable, the intent they name
(fuzzy match on each option's phrases in the call's language) chooses where the call goes."""

from __future__ import annotations

import pytest
from flowkit import flow, project_from, run_call

from alur.config.project import ProjectInvalid
from alur.core.events import SpeechRecognized
from alur.flow.intents import match_intent, phrase_score
from alur.testing.channel import Press, Say, Silence

REASON = flow(
    """
start:
  type: collect
  input: speech
  prompt: {en: "Why are you calling?", id: "Apa keperluan Anda?"}
  variable: reason
  options:
    billing: {next: billing, phrases: {en: [invoice, bill, payment], id: [tagihan, bayar]}}
    outage: {next: tech, phrases: {en: [internet is down, no connection], id: [internet mati]}}
  timeout: 5
  retries: 1
  invalid_prompt: "Sorry, I did not catch that."
  next: agent
  fail: operator
billing: {type: hangup, prompt: "Billing."}
tech: {type: hangup, prompt: "Technical."}
agent: {type: hangup, prompt: "An agent."}
operator: {type: hangup, prompt: "Operator."}
"""
)


def test_phrases_are_found_in_free_words_despite_a_slip() -> None:
    intents = {"billing": ["invoice", "bill"], "outage": ["internet is down"]}
    assert match_intent("I have a question about my invoce", intents, 80)[0] == "billing"
    assert match_intent("uh my internet is dawn since this morning", intents, 80)[0] == "outage"
    assert match_intent("I would like a pizza", intents, 80)[0] is None
    assert phrase_score("internet is down", "internet") < 80  # one word of three is not the phrase
    assert phrase_score("bill", "") == 0.0


@pytest.mark.parametrize(
    ("language", "said", "path_end", "intent"),
    [
        ("en", "I have a question about my invoce", "billing", "billing"),
        ("en", "hello my internet is down again", "tech", "outage"),
        ("en", "I want to change my address", "agent", None),
        ("id", "internet mati dari pagi", "tech", "outage"),
        ("id", "saya mau bayar", "billing", "billing"),
    ],
)
def test_the_words_are_kept_and_their_intent_routes_the_call(
    tmp_path, language: str, said: str, path_end: str, intent: str | None
) -> None:
    project = project_from(tmp_path, REASON.replace("language: en", f"language: {language}"))
    run = run_call(project, [Say(said)])
    assert run.result.path[-1][1] == path_end
    assert run.result.vars["reason"] == said
    assert run.result.vars["reason_intent"] == intent
    (heard,) = run.kinds(SpeechRecognized)
    assert (heard.text, heard.option) == (said, intent)


def test_silence_is_asked_again_then_fails_and_keys_are_not_words(tmp_path) -> None:
    run = run_call(project_from(tmp_path, REASON), [Silence(), Press("1")])
    assert run.result.path[-1][1] == "operator"
    assert "reason" not in run.result.vars
    assert run.channel.played[-2].text == "Sorry, I did not catch that."


def test_intents_without_speech_are_one_problem(tmp_path) -> None:
    keys = REASON.replace("    input: speech\n", "")
    with pytest.raises(ProjectInvalid, match="need input: speech"):
        project_from(tmp_path, keys)
