"""Every limit comes from one settings object; NNP_* variables override the defaults."""

from __future__ import annotations

import pytest

from app.settings import Settings


def test_environment_overrides_each_kind_of_setting() -> None:
    s = Settings.from_env(
        {
            "NNP_MAX_SESSIONS": "5",
            "NNP_SESSION_TTL": "12.5",
            "NNP_ALLOWED_ORIGINS": "https://a.example, https://b.example:8443",
            "NNP_HOST": "0.0.0.0",
        }
    )
    assert s.max_sessions == 5
    assert s.session_ttl == 12.5
    assert s.allowed_origins == ("https://a.example", "https://b.example:8443")
    assert s.host == "0.0.0.0"


def test_explicit_overrides_win_over_the_environment() -> None:
    s = Settings.from_env({"NNP_PORT": "9000"}, port=9100)
    assert s.port == 9100


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("NNP_MAX_SESSIONS", "many", "NNP_MAX_SESSIONS"),
        ("NNP_MAX_SESSIONS", "0", "max_sessions"),
        ("NNP_FRAME_RATE", "120", "frame_rate"),
        ("NNP_MESSAGES_PER_SECOND", "-1", "messages_per_second"),
        ("NNP_WORKERS", "-1", "workers"),
        ("NNP_WORKERS", "65", "workers"),
    ],
)
def test_bad_values_name_the_setting(name: str, value: str, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Settings.from_env({name: value})


def test_hosts_default_to_loopback_names_when_bound_to_loopback() -> None:
    assert "localhost" in Settings(host="127.0.0.1").hosts
    assert Settings(host="0.0.0.0").hosts == ("*",)
    assert Settings(host="0.0.0.0", allowed_hosts=("play.example.org",)).hosts == (
        "play.example.org",
    )


def test_workers_default_to_the_cores_and_zero_means_none() -> None:
    assert 1 <= Settings().workers <= 8
    assert Settings.from_env({"NNP_WORKERS": "0"}).workers == 0
    assert Settings.from_env({"NNP_WORKERS": "3"}).workers == 3
