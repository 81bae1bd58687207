"""Sessions under the TensorFlow Playground profile: built from a stored link, they give the
page's losses epoch after epoch (the figures in tests/data/tfp/, from TFP's own engine)
through the Session API and over HTTP, and export and import as any session does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.data.tfp_link import parse_link
from app.errors import InvalidInput
from app.training import Session
from app.training.tfp import config_from_settings

DATA = Path(__file__).parent / "data" / "tfp"
LINKS = sorted(p.stem for p in DATA.glob("*.json"))
EPOCHS = 200


def reference(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return doc


def config_of(name: str) -> dict[str, Any]:
    return config_from_settings(parse_link(reference(name)["link"]))


def test_a_session_s_profile_is_native_unless_asked() -> None:
    s = Session()
    assert s.config["profile"] == "native" and not s.tfp


@pytest.mark.parametrize("name", LINKS)
def test_a_tfp_session_gives_the_pages_loss_every_epoch(name: str) -> None:
    ref = reference(name)
    s = Session(config_of(name))
    assert s.losses() == pytest.approx((ref["loss_train"][0], ref["loss_test"][0]), abs=1e-9)
    for epoch in range(1, EPOCHS + 1):
        assert s.step(1) == 1
        train, test = s.losses()
        assert train == pytest.approx(ref["loss_train"][epoch], abs=1e-9), epoch
        if ref["loss_test"][epoch] is None:
            assert test is None
        else:
            assert test == pytest.approx(ref["loss_test"][epoch], abs=1e-9), epoch
    assert s.history[-1]["epoch"] == EPOCHS
    assert s.history[-1]["train"] == pytest.approx(ref["loss_train"][EPOCHS], abs=1e-9)


def test_the_points_are_the_pages_with_labels_shown_as_classes() -> None:
    ref = reference("default_circle")
    s = Session(config_of("default_circle"))
    train = np.array(ref["train"], dtype=float)
    assert np.abs(s.X_raw[~s.is_test] - train[:, :2]).max() < 1e-12
    assert (s.y_train == (train[:, 2] > 0)).all() and set(s.y_train.tolist()) == {0, 1}
    assert len(s.y_test) == len(ref["test"])


def test_a_frame_shows_the_tanh_output_as_a_probability() -> None:
    s = Session(config_of("default_circle"))
    s.step(100)
    snap = s.snapshot()
    assert snap["maps"].shape == (1 + 4 + 2, 50 * 50)
    out = snap["maps"][0]
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert snap["metrics"]["train"]["accuracy"] > 0.9
    assert s.state()["network"]["output"] == "tanh"
    assert snap["gradients"] is not None and len(snap["gradients"]) == 3


def test_an_export_round_trips_mid_batch_and_trains_on_identically() -> None:
    name = "xor_relu_l1_batch7"  # leftovers carried between epochs, dead links
    ref = reference(name)
    s = Session(config_of(name))
    s.step(30)
    doc = json.loads(json.dumps(s.export()))
    t = Session.from_export(doc)
    assert t.tfp and t.losses() == s.losses()
    t.step(20)
    assert t.losses()[0] == pytest.approx(ref["loss_train"][50], abs=1e-9)
    assert t.trainer.epoch == 50


def test_a_bad_tfp_export_is_refused() -> None:
    doc = Session(config_of("default_circle")).export()
    doc["network"]["count"] = -1
    with pytest.raises(InvalidInput, match="network.count"):
        Session.from_export(doc)


def test_rates_change_mid_run_keeping_the_weights() -> None:
    s = Session(config_of("default_circle"))
    s.step(5)
    theta = s.net.theta.copy()
    changes = s.configure({"lr": 0.1})
    assert not changes.rebuilt and (s.net.theta == theta).all()
    s.step(1)
    assert s.trainer.epoch == 6


def test_a_new_seed_draws_new_points_and_weights() -> None:
    s = Session(config_of("default_circle"))
    before = s.X_raw.copy()
    changes = s.configure({"tfp_seed": "0.12345"})
    assert changes.regenerated and changes.rebuilt
    assert not (s.X_raw == before).all()


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"dataset": "moons"}, "dataset: .* has none for this dataset"),
        ({"dataset": "blobs"}, "dataset: .* has none for this dataset"),
        ({"method": "evolution"}, "method: .* no gradient steps"),
    ],
)
def test_what_the_profile_cannot_run_is_refused_saying_why_and_changes_nothing(
    change: dict[str, Any], why: str
) -> None:
    s = Session(config_of("default_circle"))
    config = dict(s.config)
    with pytest.raises(InvalidInput, match=why):
        s.configure(change)
    assert s.config == config


def test_leaving_the_profile_gives_a_native_session() -> None:
    s = Session(config_of("default_circle"))
    s.configure({"profile": "native"})
    assert not s.tfp and s.state()["network"]["output"] == "sigmoid"
    assert s.step(2) == 2


def test_over_http_a_tfp_session_gives_the_pages_losses(client: TestClient) -> None:
    ref = reference("spiral_tanh_six_all_features")
    config = config_of("spiral_tanh_six_all_features")
    r = client.post("/api/sessions", json={"config": config})
    assert r.status_code == 201, r.text
    sid, state = r.json()["id"], r.json()["state"]
    assert state["config"]["profile"] == "tfp"
    assert state["loss"]["train"] == pytest.approx(ref["loss_train"][0], abs=1e-9)
    for epoch in (1, 10, 50):
        done = epoch - client.get(f"/api/sessions/{sid}").json()["epoch"]
        r = client.post(f"/api/sessions/{sid}/step", json={"epochs": done})
        assert r.status_code == 200, r.text
        loss = client.get(f"/api/sessions/{sid}").json()["loss"]
        assert loss["train"] == pytest.approx(ref["loss_train"][epoch], abs=1e-9)
        assert loss["test"] == pytest.approx(ref["loss_test"][epoch], abs=1e-9)
    exported = client.get(f"/api/sessions/{sid}/export")
    assert exported.status_code == 200, exported.text
    r = client.post("/api/sessions/import", json=exported.json())
    assert r.status_code == 201, r.text
    assert r.json()["state"]["loss"]["train"] == pytest.approx(ref["loss_train"][50], abs=1e-9)


def test_a_link_read_over_http_gives_a_session_running_the_page(client: TestClient) -> None:
    ref = reference("xor_tanh_five_l2_batch11")
    r = client.post("/api/tfp/link", json={"link": ref["link"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["config"] == {**config_of("xor_tanh_five_l2_batch11")}
    r = client.post("/api/sessions", json={"config": body["config"]})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    client.post(f"/api/sessions/{sid}/step", json={"epochs": 20})
    loss = client.get(f"/api/sessions/{sid}").json()["loss"]["train"]
    assert loss == pytest.approx(ref["loss_train"][20], abs=1e-9)
    r = client.get(f"/api/sessions/{sid}/tfp-link")
    assert r.status_code == 200, r.text
    assert r.json()["beyond"] == []
    assert parse_link(r.json()["link"]) == parse_link(ref["link"])


@pytest.mark.parametrize(
    ("link", "field"),
    [
        ("https://example.com/#dataset=xor", "link"),
        ("#learningRate=abc&seed=0.1", "learningRate"),
        ("#networkShape=2.5", "networkShape"),
    ],
)
def test_a_link_that_cannot_run_is_refused_naming_the_field(
    client: TestClient, link: str, field: str
) -> None:
    r = client.post("/api/tfp/link", json={"link": link})
    assert r.status_code == 400 and field in r.json()["detail"], r.text


def test_a_native_session_s_link_names_what_tfp_would_run_differently(
    client: TestClient,
) -> None:
    sid = client.post("/api/sessions", json={"config": {"method": "adam"}}).json()["id"]
    r = client.get(f"/api/sessions/{sid}/tfp-link")
    assert r.status_code == 200, r.text
    assert r.json()["link"].startswith("https://playground.tensorflow.org/#")
    assert set(r.json()["beyond"]) == {"method", "profile", "loss"}
    sid = client.post("/api/sessions", json={"config": {"dataset": "moons"}}).json()["id"]
    assert client.get(f"/api/sessions/{sid}/tfp-link").json() == {
        "link": None,
        "beyond": ["dataset"],
    }


def test_history_says_it_is_not_offered_under_the_profile() -> None:
    from app.live import ops
    from app.training.history import branch

    s = Session(config_of("default_circle"))
    s.step(3)
    before = s.export()
    for call in (lambda: ops.past_frame(s, 1), lambda: branch(s, 1)):
        with pytest.raises(InvalidInput, match="tfp profile"):
            call()
    assert s.export() == before


def test_hidden_space_shows_the_points_as_a_tfp_layer_sees_them() -> None:
    from app.live import ops

    s = Session(config_of("default_circle"))  # layers of 4 and 2 tanh neurons
    s.step(20)
    before = s.export()
    h = ops.hidden(s, 2)
    assert (h["units"], h["epoch"], len(h["points"])) == (2, 20, len(s.y))
    seen = s.net.activations(s.F)[1]  # the second layer's two tanh outputs: its plane
    assert np.abs(np.asarray(h["points"]) - seen).max() <= 5e-5  # rounded to 4 places
    assert ops.hidden(s, 1)["units"] == 4
    assert s.export() == before
