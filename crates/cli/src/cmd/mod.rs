//! One module per command.

pub mod generate;
pub mod receive;
pub mod sign;
