"""The plan's score, factor by factor, and the refinements that keep unrelated changes below the threshold."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.changes.scoring import AlertFacts, ChangeFacts, Weights, normalise_service, score

DEFAULT_RISK = {
    "deployment": 1.0,
    "rollback": 0.7,
    "config_change": 0.6,
    "feature_flag": 0.6,
    "maintenance": 0.5,
    "scaling": 0.3,
}
W = Weights(change_type_risk=DEFAULT_RISK)
DEPLOY = datetime(2024, 12, 6, 15, 0, tzinfo=UTC)  # Friday 3:00 PM
ALERT = AlertFacts(DEPLOY + timedelta(minutes=15), ("payment-api",), "production")


def change(**kw):
    base = {
        "started_at": DEPLOY,
        "finished_at": None,
        "service": "payment-api",
        "environment": "production",
        "event_type": "deployment",
    }
    return ChangeFacts(**{**base, **kw})


def test_friday_deploy_scores_as_the_plan_says():
    result = score(change(), ALERT, W)
    # 0.4 × (1 − 900/7200) + 0.3 + 0.2 + 0.1
    assert result.confidence == pytest.approx(0.95)
    assert result.above(W.threshold) and result.confidence > 0.8
    f = result.factors
    assert f["time"]["points"] == pytest.approx(0.35) and f["time"]["delta_seconds"] == 900
    assert f["service"]["match"] == "same" and f["service"]["points"] == pytest.approx(0.3)
    assert f["environment"]["match"] == "same" and f["change_type"]["type"] == "deployment"
    assert result.time_delta_seconds == 900 and result.correlation_type == "service_match"


def test_unrelated_service_in_the_same_environment_stays_below_the_threshold():
    result = score(change(service="search-indexer"), ALERT, W)
    # the plan's formula alone would give 0.65 here; the mismatch multiplier brings it to 0.26
    assert result.factors["service"]["match"] == "unrelated"
    assert result.factors["penalties"] == [{"reason": "unrelated_service", "factor": 0.4}]
    assert result.confidence == pytest.approx(0.26)
    assert not result.above(W.threshold)


def test_same_service_in_staging_does_not_explain_a_production_alert():
    result = score(change(environment="staging"), ALERT, W)
    assert result.factors["environment"]["match"] == "different"
    assert result.confidence < W.threshold


def test_environment_aliases_and_repository_names_match():
    result = score(change(service="acme/Payment-API", environment="prod"), ALERT, W)
    assert result.factors["service"]["match"] == "same" and result.factors["environment"]["match"] == "same"
    assert normalise_service(" acme/payment-api/ ") == "payment-api"


def test_whole_word_name_overlap_is_a_partial_match_but_substrings_are_not():
    assert score(change(service="payment"), ALERT, W).factors["service"]["match"] == "partial"
    assert score(change(service="pay"), ALERT, W).factors["service"]["match"] == "unrelated"


def test_time_proximity_decays_over_the_window_and_stops_at_its_end():
    near = score(change(started_at=ALERT.starts_at - timedelta(minutes=1)), ALERT, W)
    far = score(change(started_at=ALERT.starts_at - timedelta(minutes=110)), ALERT, W)
    outside = score(change(started_at=ALERT.starts_at - timedelta(minutes=121)), ALERT, W)
    assert near.confidence > far.confidence > W.threshold
    assert not outside.in_window and outside.confidence == 0.0
    assert outside.factors["time"]["relation"] == "before_window"


def test_a_change_after_the_alert_started_cannot_have_caused_it():
    later = score(change(started_at=ALERT.starts_at + timedelta(minutes=10)), ALERT, W)
    assert not later.in_window and later.confidence == 0.0 and later.factors["time"]["relation"] == "after"
    skewed = score(change(started_at=ALERT.starts_at + timedelta(seconds=60)), ALERT, W)
    assert skewed.in_window and skewed.factors["time"]["relation"] == "during"  # within the clock-skew allowance


def test_a_long_rollout_counts_from_its_end_and_fully_while_in_progress():
    during = score(change(started_at=DEPLOY, finished_at=ALERT.starts_at + timedelta(minutes=5)), ALERT, W)
    assert during.factors["time"]["score"] == 1.0 and during.factors["time"]["relation"] == "during"
    old_start = score(change(started_at=DEPLOY - timedelta(hours=3), finished_at=DEPLOY), ALERT, W)
    assert old_start.in_window and old_start.factors["time"]["delta_seconds"] == 900


def test_change_type_risk_orders_deployments_above_config_and_scaling():
    deploy, config, scaling = (
        score(change(event_type=t), ALERT, W).confidence for t in ("deployment", "config_change", "scaling")
    )
    assert deploy > config > scaling


def test_a_dependency_counts_weaker_per_hop_and_a_consumer_weaker_still():
    graph = {
        ("database", "payment-api"): ("upstream", 1),
        ("cache", "payment-api"): ("upstream", 2),
        ("frontend", "payment-api"): ("downstream", 1),
        ("far", "payment-api"): ("upstream", 3),
    }

    def relation(changed, _env, alerting, _aenv):
        return graph.get((changed, alerting))

    same = score(change(), ALERT, W, relation).confidence
    db = score(change(service="database"), ALERT, W, relation)
    cache = score(change(service="cache"), ALERT, W, relation)
    frontend = score(change(service="frontend"), ALERT, W, relation)
    far = score(change(service="far"), ALERT, W, relation)
    assert db.factors["service"] == {**db.factors["service"], "match": "dependency", "hops": 1, "score": 0.5}
    assert same > db.confidence > cache.confidence > W.threshold
    assert frontend.factors["service"]["match"] == "dependent" and db.confidence > frontend.confidence > W.threshold
    assert far.factors["service"]["match"] == "unrelated" and not far.above(W.threshold)


def test_unknown_service_is_not_penalised():
    result = score(change(), AlertFacts(ALERT.starts_at, (), "production"), W)
    assert result.factors["service"]["match"] == "unknown" and result.factors["penalties"] == []
    assert result.confidence == pytest.approx(0.65)
    assert result.correlation_type == "temporal"


def test_weights_are_per_organisation():
    strict = Weights(change_type_risk=DEFAULT_RISK, threshold=0.96)
    assert not score(change(), ALERT, strict).above(strict.threshold)
    time_only = Weights(change_type_risk=DEFAULT_RISK, time=1.0, service=0, environment=0, change_type=0)
    assert score(change(), ALERT, time_only).confidence == pytest.approx(0.875)
