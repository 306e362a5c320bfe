//! Test-only package: see `tests/it` for the integration tests.
