"""The text helpers behind grouping fixes and spotting repeated suggestions."""

from apps.feedback.outcomes import Record, pool
from apps.feedback.text import cluster, is_negated, same_action, same_advice, words


def test_words_split_identifiers_and_normalise():
    assert words("DatabaseConnectionTimeout on orders-db") == words("database connection timeout order db")
    assert len(words("DatabaseConnectionTimeout on orders-db")) == 5  # "on" is a stop word
    assert words("Restarted the app") == words("restart application")


def test_same_advice_groups_paraphrases_only():
    assert same_advice("Fixed the network route to the database", "network route to db was missing, re-added it")
    assert same_advice("Kill the runaway process", "killed runaway process")
    assert not same_advice("Kill the runaway process", "Scale up instances")
    assert not same_advice("Restart the application", "Check network routes to the database")


def test_same_action_needs_the_same_verb():
    failed = "Restart the application (orders-api) to reset its connection pool"
    assert same_action(failed, "kubectl rollout restart deployment/orders-api")
    assert same_action(failed, "Run the runbook restart-application")
    assert not same_action(failed, "Raise the connection pool size of orders-api from 10 to 30")
    assert not same_action(failed, "Check the database health")


def test_negated_steps_are_not_suggestions():
    assert is_negated("Do not restart the application: it did not help before.")
    assert is_negated("Avoid restarting the pods")
    assert not is_negated("Restart the application")


def test_cluster_compares_with_the_first_text_of_each_group():
    groups = cluster(
        [
            (t, i)
            for i, t in enumerate(
                ["Scale out the web tier", "scaled out web tier", "Kill the runaway process", "killed runaway process"]
            )
        ]
    )
    assert [[i for _t, i in g] for g in groups] == [[0, 1], [2, 3]]


def test_pool_nets_only_the_same_action():
    records = [Record("Restart the application", False) for _ in range(3)] + [
        Record("Restarted the app", True),
        Record("Raised the pool size", True),
    ]
    outcomes = {o.text: o for o in pool(records)}
    assert set(outcomes) == {"Restart the application", "Raised the pool size"}
    restart = outcomes["Restart the application"]  # worded as the majority (the failures) put it
    assert (restart.worked, restart.failed, restart.verdict) == (1, 3, "failed")
    assert restart.variants == ["Restarted the app", "Restart the application"]
    assert (outcomes["Raised the pool size"].worked, outcomes["Raised the pool size"].verdict) == (1, "worked")
