//! Embedded receiver.
