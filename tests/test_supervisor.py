"""The rules of one notebook's run (graders/worker/supervisor.py), as plain data, without a worker."""

from __future__ import annotations

from graders.worker.supervisor import (
    AGAIN,
    FINISHED,
    FUNCTION_STRIKES,
    MAX_RESTARTS,
    STOP,
    ZYGOTE_GONE,
    Strikes,
    Supervisor,
)


def run(cells=2, functions=("f", "f", "f", "g"), seconds=60.0):
    calls = [{"function": name} for name in functions]
    return Supervisor(cells, calls, list(range(100, 100 + len(calls))), 5.0, seconds)


def cell(index, status="ok"):
    return {"type": "cell", "index": index, "status": status}


def call(position, status="ok"):
    return {"type": "call", "position": position, "status": status}


def test_reports_are_believed_only_in_order_cells_first():
    supervisor = run()
    assert not supervisor.accept(call(0))  # calls only after every cell
    assert not supervisor.accept(cell(1))  # cell 1 before cell 0: forged
    assert supervisor.accept(cell(0)) and supervisor.accept(cell(1))
    assert not supervisor.accept(cell(1))  # the same step twice
    assert supervisor.accept(call(0)) and not supervisor.accept(call(2))
    assert (supervisor.next_cell, supervisor.next_call) == (2, 1)


def test_a_child_that_finished_every_step_ends_the_run():
    supervisor = run(cells=1, functions=("f",))
    supervisor.accept(cell(0))
    supervisor.accept(call(0))
    assert supervisor.after_child(True, None, None, True) == (FINISHED, [], [])
    assert supervisor.restarts == 0


def test_a_batching_child_that_died_is_run_again_reporting_each_step_and_nothing_is_blamed():
    supervisor = run()
    supervisor.accept(cell(0))
    action, cells, calls = supervisor.after_child(False, "crashed", "SIGSEGV", True)
    assert (action, cells, calls) == (AGAIN, [], [])
    assert supervisor.child_limits()["report_each_step"] is True and supervisor.restarts == 1


def test_a_child_reporting_each_step_is_blamed_for_the_next_one_and_strikes_skip_the_rest():
    supervisor = run(cells=0)
    supervisor.each_step = True
    action, _, calls = supervisor.after_child(False, "timeout", "stopped after 5 s", True)
    assert action == AGAIN and calls == [{"id": 100, "status": "timeout", "detail": "stopped after 5 s",
                                          "seconds": 5.0}]
    assert FUNCTION_STRIKES == 2
    action, _, calls = supervisor.after_child(False, "crashed", "SIGKILL", True)
    assert action == AGAIN and [c["status"] for c in calls] == ["crashed", "not_run"]
    assert calls[1]["id"] == 102 and "2 earlier cases" in calls[1]["detail"]
    assert supervisor.next_call == 3 and supervisor.child_limits()["skip_calls"] == [2]
    assert supervisor.child_limits()["strikes"] == {"f": 2}


def test_a_timeout_the_child_reports_itself_counts_as_a_strike():
    supervisor = run(cells=0)
    assert supervisor.accept(call(0, "timeout"))
    assert supervisor.strikes.counts == {"f": 1}


def test_a_forged_done_blames_the_running_step():
    supervisor = run(cells=1)
    supervisor.each_step = True
    action, cells, _ = supervisor.after_child(True, None, None, True)
    assert action == AGAIN and cells[0]["status"] == "crashed" and "ended before" in cells[0]["detail"]


def test_too_many_restarts_stop_the_notebook_with_a_note():
    supervisor = run(cells=MAX_RESTARTS + 5, functions=())
    supervisor.each_step = True
    actions = [supervisor.after_child(False, "crashed", "x", True)[0] for _ in range(MAX_RESTARTS + 1)]
    assert actions[-1] == STOP and set(actions[:-1]) == {AGAIN}
    assert supervisor.notes == ["stopped after %d crashes or timeouts" % MAX_RESTARTS]


def test_past_the_notebook_limit_the_run_stops():
    supervisor = run(cells=3, seconds=0.0)
    supervisor.each_step = True
    action, _, _ = supervisor.after_child(False, "timeout", "x", True)
    assert action == STOP and "limit" in supervisor.notes[0]


def test_a_stopped_zygote_keeps_no_result():
    assert run().after_child(True, None, None, False) == (ZYGOTE_GONE, [], [])


def test_strikes_start_from_what_the_worker_counted():
    strikes = Strikes({"f": 1})
    assert not strikes.out("f")
    strikes.add("f")
    assert strikes.out("f") and not strikes.out("g")
