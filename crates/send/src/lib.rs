//! Delivery engine.
