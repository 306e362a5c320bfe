//! `sign` and `verify`.

use std::path::{Path, PathBuf};

use clap::Args;
use veriff_mock_contract::{VerifyError, explain_mismatch, sign_hex, verify};

use crate::input::{read_body, secret};
use crate::{DEFAULT_SECRET, Failure, Io};

/// `veriff-mock sign [--secret S] [FILE|-]`
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The integration's shared secret key (not the API key). Default: the public test secret of
    /// Veriff's docs, fit for local development only.
    #[arg(long, env = "VERIFF_SHARED_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// The body to sign, byte for byte (a trailing newline counts). `-` or nothing reads stdin.
    #[arg(value_name = "FILE|-")]
    pub file: Option<PathBuf>,
}

/// `veriff-mock verify --secret S --signature HEX [FILE|-]`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The integration's shared secret key (not the API key).
    #[arg(long, env = "VERIFF_SHARED_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// The X-HMAC-SIGNATURE value to check (hex, any case).
    #[arg(long, value_name = "HEX")]
    pub signature: String,
    /// The body as received, byte for byte. `-` or nothing reads stdin.
    #[arg(value_name = "FILE|-")]
    pub file: Option<PathBuf>,
}

/// Where the body came from, for messages: `stdin` or the file's path.
fn source(file: Option<&Path>) -> String {
    match file {
        Some(p) if p != Path::new("-") => p.display().to_string(),
        _ => "stdin".to_owned(),
    }
}

pub fn run_sign(args: &SignArgs, io: &mut Io<'_>) -> anyhow::Result<u8> {
    let secret = secret(args.secret.as_deref(), Some(DEFAULT_SECRET))?;
    let body = read_body(args.file.as_deref())?;
    if body.is_empty() {
        writeln!(
            io.err,
            "veriff-mock: warning: the body is empty (0 bytes from {}); this signs an empty body: \
             pipe the body in or pass its file",
            source(args.file.as_deref())
        )?;
    }
    writeln!(io.out, "{}", sign_hex(&secret, &body))?;
    Ok(0)
}

pub fn run_verify(args: &VerifyArgs, io: &mut Io<'_>) -> anyhow::Result<u8> {
    let secret = secret(args.secret.as_deref(), None)?;
    let body = read_body(args.file.as_deref())?;
    match verify(&secret, &body, Some(&args.signature)) {
        Ok(()) => {
            writeln!(io.err, "valid: the signature matches the body")?;
            Ok(0)
        }
        Err(error) => {
            let mut message = format!("invalid: {error}");
            if body.is_empty() && error == VerifyError::Mismatch {
                message.push_str(&format!(
                    "; the body is empty (0 bytes from {}): was it read elsewhere first? pass \
                     the body as received",
                    source(args.file.as_deref())
                ));
            } else if error == VerifyError::Mismatch
                && let Some(hint) = explain_mismatch(&secret, &body, &args.signature)
            {
                message.push_str(&format!("; hint: {hint}"));
            }
            Err(Failure(message).into())
        }
    }
}
