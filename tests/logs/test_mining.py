"""Pattern mining on raw lines: headers, masking, grouping, stack traces, new/elevated."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.logs.mining import header, masking
from apps.logs.mining.drain import Miner
from apps.logs.mining.events import fold_events
from apps.logs.mining.patterns import mine


@pytest.mark.parametrize(("line", "message", "level"), [
    ("2015-07-29 17:41:44,747 - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@688] - Send worker leaving",
     "Send worker leaving", "warning"),
    ("[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
     "mod_jk child workerEnv in error state 6", "error"),
    ("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
     "Invalid user webmaster from 173.234.31.186", None),
    ("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_1 terminating",
     "PacketResponder 1 for block blk_1 terminating", "info"),
    ("2024-05-01T14:32:15Z ERROR [PaymentProcessor] OutOfMemoryError: Java heap space",
     "OutOfMemoryError: Java heap space", "error"),
    ("plain message without header", "plain message without header", None),
])
def test_header_split_by_conventions(line, message, level):
    _head, found, found_level = header.split(line)
    assert found == message
    assert found_level == level


def test_masking_variables():
    masked = masking.mask("GET https://x.io/a?b=1 from 10.0.0.1:8080 user bob@example.com id "
                          "123e4567-e89b-12d3-a456-426614174000 took 35ms at 0x7ffe file /var/log/app.log n=42")
    assert masked == "GET <*> from <*> user <*> id <*> took <*> at <*> file <*> n=<*>"


def test_lines_of_one_event_share_a_template_and_others_do_not():
    miner = Miner()
    a = miner.add("2024-05-01 10:00:01 ERROR Connection timeout after 30s to db-1:5432").template
    b = miner.add("2024-05-01 10:00:09 ERROR Connection timeout after 12s to db-7:5432").template
    c = miner.add("2024-05-01 10:00:10 INFO Request served in 12ms").template
    assert a.id == b.id != c.id
    assert "Connection timeout after <*> to <*>" in a.text


STACKS = {
    "java": (["ERROR [PaymentProcessor] java.lang.OutOfMemoryError: Java heap space",
              "\tat com.shop.PaymentProcessor.processPayment(PaymentProcessor.java:234)",
              "\tat com.shop.PaymentService.handle(PaymentService.java:89)",
              "Caused by: java.lang.IllegalStateException: pool exhausted", "\t... 12 more"],
             "java.lang.IllegalStateException: pool exhausted", "PaymentProcessor.java:234"),
    "python": (["ERROR request failed", "Traceback (most recent call last):",
                '  File "/app/views.py", line 10, in handler', "    pay()",
                '  File "/app/pay.py", line 42, in pay', "    raise ValueError('bad card')",
                "ValueError: bad card"], "ValueError: bad card", "pay.py:42"),
    "go": (["panic: runtime error: index out of range [3] with length 3", "", "goroutine 1 [running]:",
            "main.handler(...)", "\t/app/main.go:27 +0x1d"],
           "panic: runtime error: index out of range [3] with length 3", "main.go:27"),
    "node": (["TypeError: Cannot read properties of undefined (reading 'id')",
              "    at getUser (/app/src/users.js:12:19)", "    at Layer.handle (/app/node_modules/x.js:95:5)"],
             "TypeError: Cannot read properties of undefined (reading 'id')", "users.js:12"),
    "ruby": (["app/models/order.rb:15:in `total': undefined method `+' for nil (NoMethodError)",
              "\tfrom app/controllers/orders_controller.rb:8:in `show'"], "", "orders_controller.rb:8"),
    "php": (["PHP Fatal error: Uncaught Exception: boom in /var/www/a.php:3", "Stack trace:",
             "#0 /var/www/index.php(12): run()", "#1 {main}"], "", "index.php:12"),
    "csharp": (["Unhandled exception. System.NullReferenceException: Object reference not set",
                "   at Shop.Orders.Handle() in /src/Orders.cs:line 41"], "System.NullReferenceException: Object "
               "reference not set", "Orders.cs:41"),
}


@pytest.mark.parametrize("runtime", sorted(STACKS))
def test_stack_traces_fold_into_one_event(runtime):
    lines, exception, frame = STACKS[runtime]
    events = fold_events([(None, line, {}) for line in lines])
    assert len(events) == 1, [e.line for e in events]
    [event] = events
    assert event.top_frame == frame
    if exception:
        assert event.exception == exception
    assert event.is_stack_trace


def _events(lines, base):
    return fold_events([(base + timedelta(seconds=i), line, {}) for i, line in enumerate(lines)])


def test_patterns_ranked_errors_first_and_marked_new_or_elevated():
    base = datetime(2026, 5, 1, 14, 0, tzinfo=UTC)
    baseline = _events(["INFO GET /health 200"] * 30 + ["ERROR Connection timeout to db-1"] * 2, base)
    current = _events(["INFO GET /health 200"] * 5 + ["ERROR Connection timeout to db-2"] * 20
                      + ["ERROR java.lang.OutOfMemoryError: Java heap space"] * 3, base + timedelta(hours=1))
    patterns, levels = mine(current, baseline=baseline, window_seconds=600)
    assert levels == {"info": 5, "error": 23}
    first, second, third = patterns
    assert "OutOfMemoryError" in first.template and first.new and first.count == 3
    assert "Connection timeout" in second.template and second.elevated and not second.new
    assert third.level == "info" and not third.new and not third.elevated
    assert first.first_seen <= first.last_seen and first.samples


def test_a_thousand_identical_traces_are_one_pattern():
    lines = []
    for i in range(1000):
        lines += [f"ERROR job {i} failed: java.lang.NullPointerException", "\tat a.B.c(B.java:7)"]
    patterns, _levels = mine(fold_events([(None, line, {}) for line in lines]))
    assert len(patterns) == 1 and patterns[0].count == 1000 and patterns[0].top_frame == "B.java:7"


# The miner's line cache keys a line by its bytes with every ASCII digit turned into "0"; that is
# only sound if header split, masking and level never depend on which digit a line holds.
_LINE_CHARS = st.sampled_from(list("0123456789 :-.,/[]()<>=_@$TZ+|\t") + list("abcfxERROINFWARNDecSunuser"))
_RETOKEN = st.lists(st.sampled_from(["2015-07-29T17:41:44.747Z", "Dec", "Sun", "04:47:44", "[error]", "INFO",
                                     "sshd[24200]:", "host-1", "dfs.DataNode$P:", "blk_-123", "10.0.0.1:80",
                                     "user=bob", "35ms", "0x1f", "/var/log/a.log", "-", "|", "[main]"]),
                    max_size=8)


@given(st.lists(st.one_of(st.text(_LINE_CHARS, max_size=12), _RETOKEN.map(" ".join)), max_size=8).map(" ".join),
       st.randoms(use_true_random=False))
@settings(max_examples=300, deadline=None)
def test_header_masking_and_level_never_depend_on_which_digit(line, rnd):
    # The twin has other digits, and runs of other lengths, wherever the line has digits.
    twin = re.sub(r"[0-9]+", lambda m: "".join(str(rnd.randrange(10)) for _ in range(rnd.randint(1, 6))), line)
    pos, level = header.boundary(line)
    twin_pos, twin_level = header.boundary(twin)
    assert twin_level == level
    assert _runs(line[:pos]) == _runs(twin[:twin_pos])
    message, twin_message = line[pos:].strip(), twin[twin_pos:].strip()
    assert masking.tokens(message) == masking.tokens(twin_message)
    assert header.detect_level(level, message) == header.detect_level(level, twin_message)
    memo = {}
    assert header.boundary(line, memo) == (pos, level) == header.boundary(line, memo)


def _runs(text: str) -> str:
    return re.sub(r"[0-9]+", "0", text)


def test_line_cache_gives_what_the_uncached_miner_gives_on_loghub_like_lines():
    lines = [f"081109 2036{i % 60:02d} {100 + i} INFO dfs.DataNode$PacketResponder: PacketResponder {i % 3} "
             f"for block blk_{i * 7919} terminating" for i in range(50)]
    lines += [f"Dec 10 06:55:{i % 60:02d} LabSZ sshd[{24000 + i}]: Invalid user {name} from 173.234.31.{i}"
              for i, name in enumerate(["admin", "test", "oracle"] * 5)]
    cached, uncached = Miner(), Miner(cache_size=0)
    for line in lines:
        a, b = cached.add(line), uncached.add(line)
        assert (a.header, a.message, a.level, a.template.id) == (b.header, b.message, b.level, b.template.id)
    assert len(cached._lines) <= 4  # the cache was used: these lines differ only in their numbers
    assert [t.count for t in cached.templates] == [t.count for t in uncached.templates]
