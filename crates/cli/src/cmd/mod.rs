//! One module per command.

pub mod generate;
pub mod sign;
