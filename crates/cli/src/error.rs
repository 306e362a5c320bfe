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

/// Writes an error as one line: its causes joined by `: `, each said once (an error that
/// already quotes its cause in its own text is not followed by that cause again).
pub fn report_error(error: &anyhow::Error, err: &mut dyn std::io::Write) {
    let _ = writeln!(err, "veriff-mock: {}", one_line(error));
}

/// The error chain as one line, without repeats.
#[must_use]
pub fn one_line(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let said = cause.to_string().replace('\n', " ");
        if said.is_empty() || text.contains(&said) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&said);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_already_quoted_are_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::AddrInUse, "Address already in use");
        #[derive(Debug, thiserror::Error)]
        #[error("cannot listen on 127.0.0.1:80: {source}")]
        struct Bind {
            source: std::io::Error,
        }
        let e = anyhow::Error::new(Bind { source: io }).context("cannot start the receiver");
        assert_eq!(
            one_line(&e),
            "cannot start the receiver: cannot listen on 127.0.0.1:80: Address already in use"
        );
        let plain = anyhow::anyhow!("first\nsecond").context("outer");
        assert_eq!(one_line(&plain), "outer: first second");
    }
}
