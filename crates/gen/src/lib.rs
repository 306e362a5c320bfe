//! Seeded realistic Veriff webhook payloads.
