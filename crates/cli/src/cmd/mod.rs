//! One module per command.

pub mod check;
pub mod demo;
pub mod fire;
pub mod generate;
pub mod receive;
pub mod resend;
pub mod sign;
pub mod watch;
