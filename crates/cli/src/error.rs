//! Exit codes: 0 success, 1 a failed check or delivery, 2 usage or config error, 130 interrupted.

/// An outcome that is not a usage error: a signature that did not verify, a delivery that was
/// exhausted. Exits with code 1. Any other error exits with code 2 (usage or configuration).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failure(pub String);

/// The exit code an error from [`crate::run`] maps to.
#[must_use]
pub fn exit_code_of(error: &anyhow::Error) -> u8 {
    if error.is::<Failure>() { 1 } else { 2 }
}

/// Writes an error as one line.
pub fn report_error(error: &anyhow::Error, err: &mut dyn std::io::Write) {
    let text = format!("{error:#}").replace('\n', " ");
    let _ = writeln!(err, "veriff-mock: {text}");
}
