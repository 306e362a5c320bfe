//! What the plain std-socket receivers of these tests share.

use std::io::BufRead;

/// The secret the test receivers verify with.
pub const SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";

/// Reads one HTTP/1 request from `reader`: its body (by `content-length`) and its
/// `x-hmac-signature`, as a hand-written receiver would.
pub fn read_request(reader: &mut impl BufRead) -> std::io::Result<(Vec<u8>, Option<String>)> {
    let mut length = 0;
    let mut signature = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "x-hmac-signature" => signature = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok((body, signature))
}
