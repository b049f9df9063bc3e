import os

import pytest

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.app",
    "tests.fixtures.processes",
    "tests.fixtures.browser",
    "tests.fixtures.checkout",
    "tests.fixtures.stripe_checkout",
    "tests.fixtures.mailbox",
    "tests.fixtures.world",
    "tests.fixtures.sandbox",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failed test: nothing may silently not run."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which is not allowed: {report.longrepr}"
