"""Settings for tests whose clients all come from one address (the test's)."""

from __future__ import annotations

from typing import Any

# No per-address budget, unless a test sets one.
UNLIMITED_CLIENT: dict[str, Any] = {
    "client_requests_per_second": 1e6,
    "client_request_burst": 10**6,
    "max_sockets_per_client": 10**4,
}
