"""Erlang C / Erlang A against exact formulas, textbook values and limiting cases."""

import json
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import poisson
from typer.testing import CliRunner

from alur.cli import app
from alur.sim.erlang import ErlangError, agents_needed, erlang_a_kpis, erlang_c, erlang_c_kpis


def exact_erlang_c(n: int, a: int) -> float:
    """Textbook closed form with exact rational arithmetic (factorials), for cross-checking."""
    a_f = Fraction(a)
    top = a_f**n / math.factorial(n) * Fraction(n, n - a)
    bottom = sum(a_f**k / math.factorial(k) for k in range(n)) + top
    return float(top / bottom)


@pytest.mark.parametrize(("n", "a"), [(2, 1), (11, 10), (13, 10), (30, 25), (120, 100)])
def test_erlang_c_matches_closed_form(n: int, a: int) -> None:
    assert erlang_c(n, a) == pytest.approx(exact_erlang_c(n, a), rel=1e-12)


def test_textbook_example_100_calls_per_half_hour() -> None:
    # 100 calls / 30 min, AHT 180 s = 10 Erlangs; the classic staffing table gives 14 agents for 80/20,
    # with 13 agents P(wait) 28.5%, ASA 17.1 s, SL 79.6%.
    k13 = erlang_c_kpis(100 / 1800, 180, 13)
    assert k13.p_wait == pytest.approx(0.2853, abs=1e-4)
    assert k13.asa == pytest.approx(17.12, abs=0.01)
    assert k13.service_level == pytest.approx(0.7956, abs=1e-4)
    assert agents_needed(100 / 1800, 180, service_level=0.8, threshold=20).agents == 14


def test_large_center_is_stable() -> None:
    k = erlang_c_kpis(20000 / 1800, 180, 2050)
    assert 0 < k.p_wait < 1 and math.isfinite(k.asa)
    assert agents_needed(20000 / 1800, 180).agents > 2000


def test_overloaded_erlang_c_reports_infinite_wait() -> None:
    k = erlang_c_kpis(1.0, 10, 5)
    assert k.p_wait == 1.0 and math.isinf(k.asa) and k.service_level == 0.0


def test_erlang_a_with_patience_equal_to_handle_time_is_poisson() -> None:
    # theta == mu: the number in system is Poisson(A), so P(wait) = P(X >= N), P(ab) = E[(X-N)+]/A
    k = erlang_a_kpis(10 / 180, 180, 10, patience=180)
    assert k.p_wait == pytest.approx(poisson.sf(9, 10), rel=1e-9)
    tail = sum((x - 10) * poisson.pmf(x, 10) for x in range(11, 200))
    assert k.p_abandon == pytest.approx(tail / 10, rel=1e-9)


def test_erlang_a_tends_to_erlang_c_with_endless_patience() -> None:
    a = erlang_a_kpis(100 / 1800, 180, 13, patience=1e8)
    c = erlang_c_kpis(100 / 1800, 180, 13)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-4)
    assert a.asa == pytest.approx(c.asa, rel=1e-4)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-4)
    assert a.p_abandon < 1e-5


def test_erlang_a_handles_overload() -> None:
    # more load than agents is fine with abandonment: the queue stays finite
    k = erlang_a_kpis(30 / 180, 180, 20, patience=60)
    assert 0.2 < k.p_abandon < 0.5 and k.occupancy > 0.95


@settings(max_examples=30, deadline=None)
@given(
    load=st.floats(0.5, 60),
    extra=st.integers(1, 15),
    patience=st.floats(10, 1000),
)
def test_more_agents_never_hurt(load: float, extra: int, patience: float) -> None:
    n = max(1, int(load)) + extra
    for model in ("c", "a"):
        if model == "c":
            k1, k2 = erlang_c_kpis(load / 180, 180, n), erlang_c_kpis(load / 180, 180, n + 1)
        else:
            k1, k2 = (
                erlang_a_kpis(load / 180, 180, n, patience),
                erlang_a_kpis(load / 180, 180, n + 1, patience),
            )
        assert k2.p_wait <= k1.p_wait + 1e-12
        assert k2.service_level >= k1.service_level - 1e-9
        assert k2.p_abandon <= k1.p_abandon + 1e-12
        assert 0 <= k1.service_level <= 1 and 0 <= k1.p_abandon <= 1


def test_bad_inputs_name_the_value() -> None:
    with pytest.raises(ErlangError, match="handle time"):
        erlang_c_kpis(1.0, -3, 4)
    with pytest.raises(ErlangError, match="patience"):
        erlang_a_kpis(1.0, 10, 4, patience=0)


def test_cli_table_and_json() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["erlang", "--calls", "100", "--aht", "180"])
    assert result.exit_code == 0, result.output
    assert "14 agents" in result.output and "79.6%" in result.output
    result = runner.invoke(app, ["erlang", "--calls", "100", "--aht", "180", "--patience", "120", "--json"])
    data = json.loads(result.output)
    assert data["model"] == "Erlang A" and data["agents_needed"] <= 14


def test_cli_rejects_bad_target_without_traceback() -> None:
    result = CliRunner().invoke(app, ["erlang", "--calls", "100", "--aht", "180", "--target", "80"])
    assert result.exit_code == 2
    assert "80/20" in result.output and "Traceback" not in result.output


def test_cli_staffs_each_interval_of_a_day() -> None:
    result = CliRunner().invoke(app, ["erlang", "--calls", "20,100,60", "--aht", "180", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["intervals"]
    assert [r["agents"] for r in rows][1] == 14  # the 100-call interval is the textbook example
    assert rows[0]["agents"] < rows[2]["agents"] < rows[1]["agents"]
    assert all(r["service_level"] >= 0.8 for r in rows)


@pytest.mark.parametrize(
    "case",
    [
        (0.00344757781085104, 180, 15, 451.22689346854486, 20.0),  # service level was 1.0000000000000002
        (1.9381122599379048, 436.88229786067654, 34, 133.793308097548, 20.0),  # P(wait) was 1 + 7e-15
        (1.0806790046196832, 472.93440933830453, 22, 275.4299332597349, 0.0),  # P(wait) was 1 + 2e-14
    ],
)
def test_probabilities_stay_within_0_and_1(case: tuple[float, float, int, float, float]) -> None:
    rate, aht, agents, patience, threshold = case
    k = erlang_a_kpis(rate, aht, agents, patience, threshold)
    for share in (k.p_wait, k.service_level, k.p_abandon, k.occupancy):
        assert 0.0 <= share <= 1.0
    c = erlang_c_kpis(rate, aht, agents + 40, threshold)
    for share in (c.p_wait, c.service_level, c.occupancy):
        assert 0.0 <= share <= 1.0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--calls", "1e12"], "1e+12 calls: an offered load of 1e+11 Erlangs needs more than 10,000 agents"),
        (["--calls", "20,1e9"], "interval 2 (1e+09 calls)"),
        (["--calls", "nan"], "--calls must be positive numbers"),
        (["--aht", "nan"], "--aht must be a number above 0"),
        (["--aht", "1e9"], "--aht must be a number above 0 and at most 86,400 seconds (got 1e+09)"),
        (["--interval", "-5"], "--interval must be a number above 0"),
        (["--patience", "1e9"], "--patience must be a number above 0 and at most 3,600 seconds"),
        (["--agents", "1000000000"], "--agents must be a number above 0 and at most 10,000"),
        (["--agents", "-2"], "--agents must be a number above 0"),
        (["--max-asa", "0"], "--max-asa must be a number above 0"),
        (["--max-abandon", "nan"], "--max-abandon must be a number above 0 and at most 100%"),
        (["--max-occupancy", "-1"], "--max-occupancy must be a number above 0 and at most 100%"),
        (["--target", "80/inf"], "seconds in (0, 86400]"),
    ],
)
def test_cli_bounds_every_number_before_any_work(args: list[str], words: str) -> None:
    base = {"--calls": "100", "--aht": "180"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    argv = [part for key, value in {**base, **given}.items() for part in (key, value)]
    result = CliRunner().invoke(app, ["erlang", *argv])
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_staffing_search_is_bounded() -> None:
    with pytest.raises(ErlangError, match="needs more than 10,000 agents"):
        agents_needed(1e12 / 1800, 180)
    with pytest.raises(ErlangError, match="at most 10,000 agents"):
        erlang_c_kpis(1.0, 180, 10**9)
    with pytest.raises(ErlangError, match="no staffing level up to 10,000 agents"):
        agents_needed(1.0, 180, max_occupancy=1e-6)
