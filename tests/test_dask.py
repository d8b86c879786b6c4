"""The same grading function on a Dask cluster (a LocalCluster here) fills the same gradebook."""

import logging

import pytest

from graders.batch import run as batch
from graders.batch.gradebook import Gradebook
from graders.batch.run import run_batch
from graders.errors import UserError
from tests.batch_support import FAST, copy_samples, quick_samples

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as local:
        yield local


def test_dask_cluster_fills_the_same_gradebook_as_the_local_pool(tmp_path, cluster):
    folder = copy_samples(tmp_path / "subs")  # every sample but the slow one: right, wrong, unreadable
    local = run_batch(folder, tmp_path / "local.sqlite", workers=2, limits=FAST, show_progress=False)
    on_dask = run_batch(folder, tmp_path / "dask.sqlite", scheduler=cluster.scheduler_address, limits=FAST,
                        show_progress=False)
    assert local.graded_now == on_dask.graded_now == len(quick_samples())
    with Gradebook(tmp_path / "local.sqlite") as a, Gradebook(tmp_path / "dask.sqlite") as b:
        assert a.snapshot() == b.snapshot()
        assert b.runs()[0]["executor"] == "dask:" + cluster.scheduler_address
        assert {row.status for row in b.submissions()} >= {"graded", "unreadable"}


def test_unreachable_scheduler_is_a_user_error(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "DASK_CONNECT_TIMEOUT", "1s")
    folder = copy_samples(tmp_path / "subs", quick_samples()[:1])
    with pytest.raises(UserError, match="could not connect to the Dask scheduler"):
        run_batch(folder, tmp_path / "gb.sqlite", scheduler="tcp://127.0.0.1:9", show_progress=False)


def _pretend_other_kit():
    batch._CONTEXTS["dnn_step_by_step"] = batch.GradingContext(kit_version="0.0-old", cases_sha256="0" * 64,
                                                                assignment="dnn_step_by_step")


def _forget_context():
    batch._CONTEXTS.clear()


def test_workers_with_another_kit_are_refused_before_grading(tmp_path, cluster):
    folder = copy_samples(tmp_path / "subs", quick_samples()[:1])
    with distributed.Client(cluster) as client:
        client.run(_pretend_other_kit)
        try:
            with pytest.raises(UserError, match="run kit 0.0-old with cases 000000000000, but this machine"):
                run_batch(folder, tmp_path / "gb.sqlite", scheduler=cluster.scheduler_address,
                          show_progress=False)
        finally:
            client.run(_forget_context)
    with Gradebook(tmp_path / "gb.sqlite") as book:
        assert book.count() == 0
