use std::path::PathBuf;

/// What a command printed and how it exited.
#[derive(Debug)]
pub struct Output {
    pub code: u8,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Output {
    pub fn stdout_text(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }
}

/// Runs `veriff-mock ARGS...` in-process.
pub fn run(args: &[&str]) -> Output {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut io = veriff_mock::Io {
        out: &mut out,
        err: &mut err,
        terminal: false,
    };
    let code = veriff_mock::main_with(
        std::iter::once("veriff-mock").chain(args.iter().copied()),
        &mut io,
    );
    Output {
        code,
        stdout: out,
        stderr: String::from_utf8_lossy(&err).into_owned(),
    }
}

/// A path under the workspace's `fixtures/`.
pub fn fixture(rel: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fixtures", rel]
        .iter()
        .collect();
    path.to_string_lossy().into_owned()
}
