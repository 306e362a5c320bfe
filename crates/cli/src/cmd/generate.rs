//! `generate`: realistic payloads as NDJSON, a JSON array, `.http` requests, or one file each.

use std::fs;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use veriff_mock_contract::{Kind, headers};
use veriff_mock_gen::{Generator, Payload, SetOverride};
use veriff_mock_send::Signer;

use crate::input::secret;
use crate::{DEFAULT_SECRET, Io};

/// Output formats of `generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One payload per line: exactly the bytes that are signed.
    Ndjson,
    /// A JSON array, one payload (the exact signed bytes) per line.
    Json,
    /// Ready-to-run requests in the `.http` format of editors' REST clients.
    Http,
}

/// `veriff-mock generate`
#[derive(Debug, Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  veriff-mock generate --kind decision --status declined --count 3 --seed 42\n  \
veriff-mock generate --kind watchlist --status possible_match --format http --to http://127.0.0.1:3000/veriff/watchlist\n  \
veriff-mock generate --set verification.status=resubmission_requested --set verification.vendorData=user-42\n  \
veriff-mock generate --count 1000 --out ./payloads"
)]
pub struct GenerateArgs {
    /// Webhook kind: decision, event, user-status, watchlist, fullauto, ine, curp, ine-curp.
    #[arg(long, short, default_value = "decision", value_parser = parse_kind)]
    pub kind: Kind,
    /// Status within the kind (decision: approved, declined, resubmission_requested, review,
    /// expired, abandoned; event: started, submitted; watchlist: no_match, possible_match; …).
    /// Default: the kind's first status.
    #[arg(long, short)]
    pub status: Option<String>,
    /// How many payloads.
    #[arg(long, short = 'n', default_value_t = 1)]
    pub count: u64,
    /// Seed: the same seed and arguments give byte-identical output. Default: a random seed,
    /// printed on stderr so the run can be repeated.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override a JSON path before signing, e.g. `verification.status=declined` or
    /// `verification.vendorData=null`. The value is JSON if it parses as JSON, else a string:
    /// quote digits that are a string (`'verification.vendorData="12345678"'`). Repeatable. The payload is kept consistent where it can be (code follows status).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_set)]
    pub sets: Vec<SetOverride>,
    /// Code of `abandoned` decisions: 9104 (Veriff's status-codes table) or 9121 (what one of
    /// Veriff's API pages says). `review` is 9121 either way.
    #[arg(long, value_name = "CODE", default_value_t = 9104, value_parser = parse_abandoned_code)]
    pub abandoned_code: u16,
    /// Shared secret key for the signatures of `--out` and `--format http`. Default: the public
    /// test secret of Veriff's docs.
    #[arg(long, env = "VERIFF_SHARED_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// API key for `X-AUTH-CLIENT` in `--out` and `--format http`.
    #[arg(long, env = "VERIFF_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Also write vrf-hmac-signature, vrf-auth-client and vrf-integration-id into `--out` and
    /// `--format http`, as `fire --vrf-headers` sends them.
    #[arg(long)]
    pub vrf_headers: bool,
    /// Integration id for vrf-integration-id with --vrf-headers. Default: a fixed test id,
    /// 00000000-0000-4000-8000-000000000001
    #[arg(
        long,
        value_name = "ID",
        env = "VERIFF_INTEGRATION_ID",
        hide_env_values = true
    )]
    pub integration_id: Option<String>,
    /// Also write the legacy X-SIGNATURE (sha256 of body + secret), as `fire --legacy-signature`.
    #[arg(long)]
    pub legacy_signature: bool,
    /// Write one file per payload into DIR (the body, and its headers with the signature)
    /// instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Ndjson)]
    pub format: Format,
    /// Target URL written into `--format http` requests.
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1:3000/webhooks/veriff"
    )]
    pub to: String,
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    s.parse()
        .map_err(|e: veriff_mock_contract::UnknownValue| e.to_string())
}

/// `9104` or `9121`, the two codes Veriff's pages give `abandoned` decisions.
pub(crate) fn parse_abandoned_code(s: &str) -> Result<u16, String> {
    match s.trim() {
        "9104" => Ok(9104),
        "9121" => Ok(9121),
        _ => Err("use 9104 (the status-codes table) or 9121 (one API page)".to_owned()),
    }
}

fn parse_set(s: &str) -> Result<SetOverride, String> {
    SetOverride::parse(s).map_err(|e| e.to_string())
}

pub fn run(args: &GenerateArgs, io: &mut Io<'_>) -> anyhow::Result<u8> {
    crate::config::check_url(&args.to, "--to")?;
    let seed_given = args.seed.is_some();
    let seed = args.seed.unwrap_or_else(random_seed);
    let mut generator = Generator::from_seed(seed)
        .kind(args.kind)
        .abandoned_api_code(args.abandoned_code == veriff_mock_contract::ABANDONED_API_CODE);
    if let Some(status) = &args.status {
        args.kind.check_status(status)?;
        generator = generator.status(status)?;
    }
    let generator = generator.overrides(args.sets.clone())?;
    let api_key = crate::input::api_key(args.api_key.as_deref())?;
    let integration_id = crate::input::integration_id(args.integration_id.as_deref())?;
    // Refuses an API key or integration id that cannot be a header value, which would also
    // break the `.http` and `.headers` files line by line.
    let signing = Signing {
        signer: Signer::new(
            secret(args.secret.as_deref(), Some(DEFAULT_SECRET))?,
            &api_key,
        )?
        .vrf_headers(args.vrf_headers)
        .integration_id(&integration_id)?
        .legacy_signature(args.legacy_signature),
    };
    let progress = progress_bar(args.count);
    let complete = match &args.out {
        Some(dir) => {
            write_files(&generator, args, &signing, dir, &progress)?;
            true
        }
        None => write_stdout(&generator, args, &signing, &progress, io.out)?,
    };
    progress.finish_and_clear();
    if !seed_given && complete {
        writeln!(
            io.err,
            "generated {} {} payload(s) with seed {seed}; pass --seed {seed} to repeat",
            args.count, args.kind
        )?;
    } else if !seed_given {
        // How many the reader got is not known (pipes buffer): only that it stopped reading.
        writeln!(
            io.err,
            "stopped early: stdout was closed; the {} payloads had seed {seed}; pass --seed {seed} to repeat",
            args.kind
        )?;
    }
    Ok(0)
}

struct Signing {
    signer: Signer,
}

impl Signing {
    /// The request's headers, one per line, named as Veriff's docs write them (`vrf-*` in
    /// lower case, the others upper case).
    fn header_lines(&self, body: &[u8]) -> String {
        let mut lines = String::new();
        for (name, value) in self.signer.headers(body, false) {
            let name = match name.as_str() {
                headers::CONTENT_TYPE => "Content-Type".to_owned(),
                n if n.starts_with("vrf-") => n.to_owned(),
                n => n.to_ascii_uppercase(),
            };
            lines.push_str(&name);
            lines.push_str(": ");
            lines.push_str(&String::from_utf8_lossy(value.as_bytes()));
            lines.push('\n');
        }
        lines
    }
}

pub(crate) fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

fn progress_bar(count: u64) -> indicatif::ProgressBar {
    if count < 1_000 || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(count),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} payloads {per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

fn http_request(p: &Payload, to: &str, signing: &Signing) -> String {
    let body = String::from_utf8_lossy(&p.body);
    format!(
        "### {kind} {status} (seed {seed}, index {index}, session {session})\nPOST {to}\n{headers}\n{body}\n\n",
        kind = p.kind,
        status = p.status,
        seed = p.seed,
        index = p.index,
        session = p.session_id,
        headers = signing.header_lines(&p.body),
    )
}

/// Writes every payload to stdout: false when the reader closed it first.
fn write_stdout(
    generator: &Generator,
    args: &GenerateArgs,
    signing: &Signing,
    progress: &indicatif::ProgressBar,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let result = (|| -> io::Result<()> {
        if args.format == Format::Json {
            out.write_all(b"[\n")?;
        }
        for index in 0..args.count {
            let payload = generator.payload(index);
            match args.format {
                Format::Ndjson => {
                    out.write_all(&payload.body)?;
                    out.write_all(b"\n")?;
                }
                Format::Json => {
                    out.write_all(&payload.body)?;
                    out.write_all(if index + 1 < args.count {
                        b",\n"
                    } else {
                        b"\n"
                    })?;
                }
                Format::Http => {
                    out.write_all(http_request(&payload, &args.to, signing).as_bytes())?
                }
            }
            if index % 1024 == 0 {
                progress.set_position(index);
            }
        }
        if args.format == Format::Json {
            out.write_all(b"]\n")?;
        }
        out.flush()
    })();
    match result {
        Ok(()) => Ok(true),
        // A closed pipe (`| head`) is not an error, but the run did not end.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        // The error says it was stdout (see `main_with`).
        Err(e) => Err(e.into()),
    }
}

fn write_files(
    generator: &Generator,
    args: &GenerateArgs,
    signing: &Signing,
    dir: &Path,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create {}: check the path and permissions",
            dir.display()
        )
    })?;
    let width = args.count.saturating_sub(1).max(1).to_string().len().max(4);
    for index in 0..args.count {
        let payload = generator.payload(index);
        let stem = format!("{index:0width$}-{}-{}", payload.kind, payload.status);
        let write = |name: String, bytes: &[u8]| {
            let path = dir.join(name);
            fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
        };
        if args.format == Format::Http {
            write(
                format!("{stem}.http"),
                http_request(&payload, &args.to, signing).as_bytes(),
            )?;
        } else {
            write(format!("{stem}.json"), &payload.body)?;
            write(
                format!("{stem}.headers"),
                signing.header_lines(&payload.body).as_bytes(),
            )?;
        }
        if index % 256 == 0 {
            progress.set_position(index);
        }
    }
    Ok(())
}
