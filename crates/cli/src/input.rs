//! Reading inputs: files or stdin, secrets.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use veriff_mock_contract::SharedSecret;

/// Reads a whole file, or stdin for `-` or no path, as exact bytes.
pub fn read_body(path: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    match path {
        None => read_stdin(),
        Some(p) if p == Path::new("-") => read_stdin(),
        Some(p) => {
            std::fs::read(p).with_context(|| format!("cannot read {}: check the path", p.display()))
        }
    }
}

fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut body)
        .context("cannot read the body from stdin")?;
    Ok(body)
}

/// The API key for `X-AUTH-CLIENT`: the one given, else the test key. An empty one would send
/// an empty header, which no receiver can match to an integration.
///
/// # Errors
/// When the key given is empty or blank.
pub fn api_key(given: Option<&str>) -> anyhow::Result<String> {
    match given {
        Some(key) if key.trim().is_empty() => anyhow::bail!(
            "--api-key is empty: pass the integration's API key, or leave --api-key out to send a \
             test key"
        ),
        Some(key) => Ok(key.to_owned()),
        None => Ok(crate::DEFAULT_API_KEY.to_owned()),
    }
}

/// The integration id for `vrf-integration-id`: the one given, else a test id. A variable set
/// but empty never gets here (it counts as unset), so an empty id is an explicit
/// `--integration-id ""`.
///
/// # Errors
/// When the id given is empty or blank.
pub fn integration_id(given: Option<&str>) -> anyhow::Result<String> {
    match given {
        Some(id) if id.trim().is_empty() => anyhow::bail!(
            "--integration-id is empty: pass the integration's id, or leave --integration-id out \
             to send a test id"
        ),
        Some(id) => Ok(id.to_owned()),
        None => Ok(crate::DEFAULT_INTEGRATION_ID.to_owned()),
    }
}

/// The shared secret from a flag or `VERIFF_SHARED_SECRET` (clap fills both into `given`), else
/// `default` when the command has one. A `VERIFF_SHARED_SECRET` set but empty never gets here
/// (it counts as unset), so an empty key is an explicit `--secret ""`.
pub fn secret(given: Option<&str>, default: Option<&str>) -> anyhow::Result<SharedSecret> {
    match given.or(default) {
        Some(key) => SharedSecret::new(key).map_err(|_| match default {
            Some(_) => anyhow::anyhow!(
                "--secret is empty: pass the integration's shared secret key, or leave --secret \
                 out to use the public test secret"
            ),
            None => anyhow::anyhow!("--secret is empty: pass the integration's shared secret key"),
        }),
        None => anyhow::bail!("no shared secret key: pass --secret or set VERIFF_SHARED_SECRET"),
    }
}
