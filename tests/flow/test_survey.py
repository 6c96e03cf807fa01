"""The post-call survey: answers logged one by one with the agent and queue they rate, kept when the
caller hangs up mid-survey, counted per agent and queue by the KPIs."""

from __future__ import annotations

from flowkit import TUESDAY_10, flow, project_from, run_call

from alur.core.events import PromptPlayed, SpeechRecognized, SurveyAnswered
from alur.metrics.kpis import kpis_of
from alur.testing.channel import Press, Say, ScriptedQueue, Silence

SURVEY = flow(
    """
start:
  type: queue
  queue: support
  answered: survey
survey:
  type: survey
  questions:
    - id: satisfaction
      prompt: {en: "How satisfied were you?", id: "Seberapa puas Anda?"}
    - id: resolved
      prompt: "Solved? 1 yes, 2 no."
      scale: 2
  timeout: 5
  retries: 1
  next: bye
bye: {type: hangup}
"""
)


def answers(run) -> list[tuple[str, int | None, str | None, str | None]]:  # type: ignore[no-untyped-def]
    return [(a.question, a.score, a.agent_id, a.queue) for a in run.kinds(SurveyAnswered)]


def test_answers_are_logged_with_agent_and_queue(tmp_path):
    run = run_call(project_from(tmp_path, SURVEY), [Press("4"), Press("9"), Press("1")])
    assert answers(run) == [("satisfaction", 4, "agent", "support"), ("resolved", 1, "agent", "support")]
    said = [p.announcement for p in run.kinds(PromptPlayed) if p.announcement]
    assert said == ["survey.intro", "system.invalid", "survey.thanks"]  # 9 is off the 1..2 scale
    kpis = kpis_of(run.events)
    assert kpis.queues["support"].survey_answers == 2 and kpis.agents["agent"].survey_answers == 2
    assert kpis.queues["support"].survey_score == 2.5
    assert kpis.as_dict()["agents"]["agent"]["survey_score"] == 2.5


def test_a_caller_who_hangs_up_mid_survey_keeps_the_answers_given(tmp_path):
    project = project_from(tmp_path, SURVEY)
    talk_over = 5 + 30  # ScriptedQueue: answered after 5 s, talk 30 s
    run = run_call(
        project,
        [Press("5", after=0.5), Silence()],
        queue=ScriptedQueue("answered", after=5, talk=30),
        hangup_after=talk_over + 12,
    )
    assert answers(run) == [("satisfaction", 5, "agent", "support")]
    assert run.result.how == "caller_hangup"
    assert run.result.ended < TUESDAY_10 + talk_over + 13


def test_survey_speaks_the_callers_language(tmp_path):
    indonesian = project_from(tmp_path, SURVEY.replace("language: en", "language: id"))
    run = run_call(indonesian, [Press("3"), Press("2")])
    intro = [p for p in run.kinds(PromptPlayed) if p.announcement == "survey.intro"][0]
    assert (intro.language, intro.prompt) == (
        "id",
        "Mohon tetap di saluran untuk survei singkat tentang panggilan Anda.",
    )
    assert answers(run) == [("satisfaction", 3, "agent", "support"), ("resolved", 2, "agent", "support")]


def test_spoken_scores_in_english_and_indonesian_carry_what_a_crm_needs(tmp_path):
    spoken = SURVEY.replace("    timeout: 5\n", "    timeout: 5\n    input: [dtmf, speech]\n")
    run = run_call(project_from(tmp_path / "en", spoken), [Say("four"), Say("pizza"), Press("1")])
    got = [(a.question, a.score, a.via, a.said, a.caller_id) for a in run.kinds(SurveyAnswered)]
    assert got == [
        ("satisfaction", 4, "speech", "four", "+628100"),
        ("resolved", 1, "dtmf", "", "+628100"),
    ]
    assert [s.option for s in run.kinds(SpeechRecognized)] == ["4", None]  # "pizza" is asked again
    indonesian = project_from(tmp_path / "id", spoken.replace("language: en", "language: id"))
    run = run_call(indonesian, [Say("lima"), Say("tiga"), Say("dua")])
    got = [(a.question, a.score, a.via, a.said) for a in run.kinds(SurveyAnswered)]
    # "tiga" (3) is off the yes/no scale of the second question: asked again, "dua" is 2
    assert got == [("satisfaction", 5, "speech", "lima"), ("resolved", 2, "speech", "dua")]


def test_a_survey_that_takes_keys_only_does_not_listen(tmp_path):
    run = run_call(project_from(tmp_path, SURVEY), [Say("four"), Press("4"), Press("2")])
    assert answers(run) == [("satisfaction", 4, "agent", "support"), ("resolved", 2, "agent", "support")]
    assert not run.kinds(SpeechRecognized)
