"""The project's own additions under the TensorFlow Playground profile: they run on the
page's points, weights and batching, and the state names them (``beyond_tfp``), as does
the link for TensorFlow Playground. What TFP can express stays the page's run exactly
(tests/test_tfp_session.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.data.tfp import NUM_SAMPLES
from app.data.tfp_link import parse_link
from app.nn.optimizers import make_optimizer
from app.training import Session
from app.training.tfp import TfpRun, config_from_settings

DATA = Path(__file__).parent / "data" / "tfp"


def reference(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return doc


def config_of(name: str, **changes: Any) -> dict[str, Any]:
    return {**config_from_settings(parse_link(reference(name)["link"])), **changes}


def page_run(name: str) -> TfpRun:
    return TfpRun(parse_link(reference(name)["link"]))


def gradient_check(s: Session, eps: float = 1e-6) -> None:
    """The session's gradients (its snapshot's) against central differences of its loss."""
    net = s.net
    net.backprop(s.F_train, s.trainer.Y)
    # theta's layout: every layer's W (row-major), then every layer's b
    grads = np.concatenate([dW.ravel() for dW, _ in net.grads] + [db for _, db in net.grads])
    theta = net.theta
    rng = np.random.default_rng(0)
    for k in rng.choice(theta.size, size=min(12, theta.size), replace=False):
        i = int(k)
        saved = theta[k]
        theta[k] = saved + eps
        up = net.evaluate(s.F_train, s.trainer.Y)[0]
        theta[k] = saved - eps
        down = net.evaluate(s.F_train, s.trainer.Y)[0]
        theta[k] = saved
        assert grads[i] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8)


def test_a_session_the_page_can_run_has_nothing_beyond_it() -> None:
    for name in ("default_circle", "reg_gauss_relu_six", "xor_relu_l1_batch7"):
        assert Session(config_of(name)).state()["beyond_tfp"] == []
    assert Session().state()["beyond_tfp"] == []  # native: the tfp-link names what differs


@pytest.mark.parametrize(
    ("method", "settings"),
    [
        ("adam", {"lr": 0.01, "beta1": 0.9, "beta2": 0.999}),
        ("momentum", {"lr": 0.01, "momentum": 0.8}),
        ("rmsprop", {"lr": 0.003, "rho": 0.9}),
    ],
)
def test_an_optimizer_steps_at_the_pages_updates_on_the_pages_points_and_weights(
    method: str, settings: dict[str, float]
) -> None:
    name = "xor_relu_l1_batch7"  # batches carried across epochs, L1 as a penalty
    s = Session(config_of(name, method=method, **settings))
    run = page_run(name)
    assert (s.X_raw[~s.is_test] == run.data.X_train).all()
    assert (s.net.theta == run.net.theta).all()  # the page's initial weights
    run.trainer.optimizer = make_optimizer(method, **settings)
    s.step(20)
    run.step(20)
    assert np.abs(s.net.theta - run.net.theta).max() < 1e-12
    assert s.trainer.step == run.trainer.updates  # an update every batchSize examples
    state = s.state()
    assert state["beyond_tfp"] == ["method"]
    assert state["loss"]["train"] < page_run(name).loss_train


def test_switching_to_adam_keeps_the_weights_and_back_to_sgd_is_the_pages_step() -> None:
    s = Session(config_of("default_circle"))
    s.step(5)
    theta = s.net.theta.copy()
    changes = s.configure({"method": "adam", "lr": 0.01})
    assert not changes.rebuilt and (s.net.theta == theta).all()
    assert s.state()["beyond_tfp"] == ["method"]
    s.step(5)
    s.configure({"method": "sgd", "lr": 0.03})
    assert s.state()["beyond_tfp"] == []
    run = page_run("default_circle")
    run.net.theta[...] = s.net.theta
    run.step(3)
    s.step(3)
    assert np.abs(s.net.theta - run.net.theta).max() < 1e-12


def test_an_adam_session_exports_and_imports_with_its_moments() -> None:
    s = Session(config_of("xor_relu_l1_batch7", method="adam", lr=0.01))
    s.step(7)
    doc = json.loads(json.dumps(s.export()))
    assert doc["trainer"]["method"]["kind"] == "adam" and doc["trainer"]["method"]["t"] > 0
    t = Session.from_export(doc)
    s.step(5)
    t.step(5)
    assert (t.net.theta == s.net.theta).all()


def test_cross_entropy_reads_the_tanh_output_as_a_probability() -> None:
    s = Session(config_of("default_circle", loss="cross_entropy"))
    assert s.state()["network"]["loss"] == "cross_entropy"
    assert s.state()["network"]["output"] == "tanh"
    assert s.state()["beyond_tfp"] == ["loss"]
    o = s.net.tfp.predict(s.F_train)  # type: ignore[union-attr]
    p, t = (o + 1) / 2, s.y_train
    want = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert s.losses()[0] == pytest.approx(want, rel=1e-12)
    gradient_check(s)
    start = s.losses()[0]
    s.step(100)
    assert s.losses()[0] < start / 2
    assert s.metrics()["train"]["accuracy"] > 0.9


def test_cross_entropy_has_no_meaning_for_regression_and_is_not_beyond() -> None:
    s = Session(config_of("reg_gauss_relu_six", loss="cross_entropy"))
    assert s.state()["beyond_tfp"] == []
    assert s.state()["network"]["loss"] == "half_mse"


def test_normalized_inputs_are_the_pages_features_standardized_on_the_training_set() -> None:
    s = Session(config_of("spiral_tanh_six_all_features", normalize=True))
    assert s.state()["beyond_tfp"] == ["normalize"]
    assert np.abs(s.F_train.mean(axis=0)).max() < 1e-9
    assert np.abs(s.F_train.std(axis=0) - 1).max() < 1e-9
    run = page_run("spiral_tanh_six_all_features")
    assert (s.X_raw[~s.is_test] == run.data.X_train).all()
    assert s.step(3) == 3


def test_layers_beyond_the_pages_and_other_activations_draw_weights_from_its_stream() -> None:
    hidden = [{"units": 12, "activation": "leaky_relu"}] + [
        {"units": 3, "activation": a} for a in ("tanh", "elu", "relu", "swish", "sigmoid", "tanh")
    ]
    s = Session(config_of("default_circle", hidden=hidden))
    assert s.state()["beyond_tfp"] == ["hidden.activation", "hidden"]
    assert s.state()["network"]["hidden"] == hidden
    run = page_run("default_circle")
    assert (s.X_raw[~s.is_test] == run.data.X_train).all()
    first = s.net.params[0][0]
    assert first.shape == (2, 12) and np.abs(first).max() <= 0.5  # random() − 0.5
    gradient_check(s)
    assert s.step(5) == 5


def test_other_point_counts_and_noise_come_from_the_pages_generators() -> None:
    s = Session(config_of("default_circle", points=200, noise=0.8))
    assert sorted(s.state()["beyond_tfp"]) == ["noise", "points"]
    assert len(s.y) == 200
    s.configure({"points": NUM_SAMPLES["classification"], "noise": 0.0})
    assert s.state()["beyond_tfp"] == []
    s.configure({"dataset": "plane"})  # the page's count for regression comes along
    assert s.config["points"] == NUM_SAMPLES["regression"] == len(s.y)
    assert s.state()["beyond_tfp"] == []


def test_over_http_the_state_and_the_link_name_what_is_beyond(client: TestClient) -> None:
    r = client.post("/api/sessions", json={"config": config_of("default_circle")})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    r = client.patch(
        f"/api/sessions/{sid}/config", json={"method": "adam", "normalize": True, "lr": 0.01}
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"]["beyond_tfp"] == ["normalize", "method"]
    r = client.post(f"/api/sessions/{sid}/step", json={"epochs": 3})
    assert r.status_code == 200 and r.json()["state"]["epoch"] == 3
    link = client.get(f"/api/sessions/{sid}/tfp-link").json()
    assert link["beyond"] == ["normalize", "method"]
    r = client.patch(f"/api/sessions/{sid}/config", json={"loss": "cross_entropy"})
    assert r.status_code == 200, r.text
    state = r.json()["state"]
    assert state["beyond_tfp"] == ["normalize", "method", "loss"]
    assert state["network"]["loss"] == "cross_entropy"
    r = client.patch(f"/api/sessions/{sid}/config", json={"method": "evolution"})
    assert r.status_code == 400 and "no gradient steps" in r.json()["detail"]
    assert client.get(f"/api/sessions/{sid}").json()["config"]["method"] == "adam"


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_the_loss_surface_of_tfps_smallest_network(loss: str) -> None:
    link = "networkShape=&x=true&y=false&sinX=false&seed=0.31313&dataset=gauss"
    s = Session({**config_from_settings(parse_link(link)), "loss": loss})
    assert s.net.n_params == 2
    s.step(10)
    here = s.net.population_losses(s.net.theta[None, :], s.F_train, s.trainer.Y)
    assert here[0] == pytest.approx(s.losses()[0], rel=1e-12)
    surface = s.loss_surface(21)
    values = np.array(surface["loss"], dtype=float)
    assert values.shape == (21, 21) and np.isfinite(values).all()
    w, b = np.meshgrid(surface["w"], surface["b"])
    k = np.argmin(values)
    again = s.net.population_losses(
        np.array([[w.ravel()[k], b.ravel()[k]]]), s.F_train, s.trainer.Y
    )
    assert again[0] == pytest.approx(values.ravel()[k], rel=1e-12)
