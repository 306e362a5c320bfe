//! Signing and verifying webhook bodies.
//!
//! Veriff signs the **exact body bytes** with HMAC-SHA256, keyed with the integration's shared
//! secret key taken as UTF-8 bytes, and sends the lower-case hex digest in `X-HMAC-SIGNATURE`.
//! A receiver must hash the raw bytes it received (never re-serialized JSON), compare the hex
//! case-insensitively and in constant time.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Length of a hex-encoded SHA-256 digest.
pub const SIGNATURE_HEX_LEN: usize = 64;

/// The integration's shared secret key. Its `Debug` is redacted and it has no `Display`, so it
/// cannot end up in logs, reports or panic messages by accident.
#[derive(Clone)]
pub struct SharedSecret {
    key: Box<[u8]>,
    /// HMAC state with the key already absorbed, cloned for every signature.
    mac: HmacSha256,
}

/// Why a shared secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The secret is empty (or only white space).
    #[error("the shared secret key is empty: pass --secret or set VERIFF_SHARED_SECRET")]
    Empty,
}

impl SharedSecret {
    /// Wraps a shared secret key. The key is used as its UTF-8 bytes, exactly as given.
    ///
    /// # Errors
    /// [`SecretError::Empty`] when the key is empty or only white space.
    pub fn new(key: impl Into<String>) -> Result<Self, SecretError> {
        let key = key.into();
        if key.trim().is_empty() {
            return Err(SecretError::Empty);
        }
        let key = key.into_bytes().into_boxed_slice();
        let mac = HmacSha256::new_from_slice(&key).expect("HMAC accepts keys of any length");
        Ok(Self { key, mac })
    }

    fn mac(&self) -> HmacSha256 {
        self.mac.clone()
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret([redacted])")
    }
}

/// A computed HMAC-SHA256 signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; 32]);

impl Signature {
    /// The raw 32 digest bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, 64 characters, as Veriff sends it.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Lower-case hex written into a caller's buffer, for hot paths that avoid allocating.
    pub fn encode_hex<'b>(&self, buf: &'b mut [u8; SIGNATURE_HEX_LEN]) -> &'b str {
        hex::encode_to_slice(self.0, buf).expect("64 bytes hold a 32-byte digest in hex");
        std::str::from_utf8(buf).expect("hex is ASCII")
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; SIGNATURE_HEX_LEN];
        f.write_str(self.encode_hex(&mut buf))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

/// Signs `body` the way Veriff does: HMAC-SHA256 keyed with the shared secret, over the exact bytes.
#[must_use]
pub fn sign(secret: &SharedSecret, body: &[u8]) -> Signature {
    let mut mac = secret.mac();
    mac.update(body);
    Signature(mac.finalize().into_bytes().into())
}

/// [`sign`], as the lower-case hex string that goes in `X-HMAC-SIGNATURE`.
#[must_use]
pub fn sign_hex(secret: &SharedSecret, body: &[u8]) -> String {
    sign(secret, body).to_hex()
}

/// The **legacy** `X-SIGNATURE` scheme: hex SHA-256 of `body ++ secret`. A plain hash, not an
/// HMAC. Veriff documents it as legacy; new receivers must use [`verify`]. Only here so the mock
/// can send it on request and so a conformance check can prove a receiver does not rely on it.
#[must_use]
pub fn legacy_x_signature(secret: &SharedSecret, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(body);
    hash.update(&secret.key);
    hex::encode(hash.finalize())
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No signature header, or an empty one.
    #[error("the X-HMAC-SIGNATURE header is missing or empty")]
    Missing,
    /// The header is not 64 hex characters.
    #[error("the signature is malformed: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// Well-formed, but not the HMAC of these bytes with this secret.
    #[error(
        "the signature does not match the body: wrong shared secret, or the body was changed after signing"
    )]
    Mismatch,
}

/// Verifies a signature header over the exact body bytes, in constant time.
///
/// The hex may be upper- or lower-case and may carry surrounding white space.
///
/// # Errors
/// [`VerifyError::Missing`], [`VerifyError::Malformed`] or [`VerifyError::Mismatch`].
pub fn verify(secret: &SharedSecret, body: &[u8], header: Option<&str>) -> Result<(), VerifyError> {
    let given = decode_signature(header)?;
    let mut mac = secret.mac();
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| VerifyError::Mismatch)
}

/// Verifies a **legacy** `X-SIGNATURE` header (plain SHA-256 of `body ++ secret`), in constant time.
///
/// # Errors
/// As [`verify`].
pub fn verify_legacy_x_signature(
    secret: &SharedSecret,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), VerifyError> {
    let given = decode_signature(header)?;
    let expected = hex::decode(legacy_x_signature(secret, body)).expect("own hex");
    if constant_time_eq(&given, &expected) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn decode_signature(header: Option<&str>) -> Result<Vec<u8>, VerifyError> {
    let text = header.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(VerifyError::Missing);
    }
    if text.len() != SIGNATURE_HEX_LEN {
        return Err(VerifyError::Malformed {
            reason: format!(
                "expected {SIGNATURE_HEX_LEN} hex characters (HMAC-SHA256), got {}",
                text.chars().count()
            ),
        });
    }
    hex::decode(text).map_err(|e| VerifyError::Malformed {
        reason: format!("not hex: {e}"),
    })
}

/// A likely cause of a signature mismatch, found by trying the usual mistakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MismatchHint {
    /// The signature is over the body without its trailing newline (CR/LF), or with one the
    /// body lacks.
    TrailingNewline,
    /// The signature is over a differently formatted serialization of the same JSON
    /// (compact vs pretty, escaping): the bytes were re-serialized after signing.
    ReSerialized,
    /// The signature is the legacy `X-SIGNATURE` scheme (SHA-256 of body ++ secret).
    LegacyScheme,
}

impl fmt::Display for MismatchHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TrailingNewline => {
                "the signature matches this body with a trailing newline removed or added: sign and verify the exact bytes (e.g. `printf %s`, not `echo`; no trim)"
            }
            Self::ReSerialized => {
                "the signature matches a re-formatted serialization of this JSON: the body was re-serialized after signing; hash the raw bytes as received"
            }
            Self::LegacyScheme => {
                "this is a legacy X-SIGNATURE (sha256 of body + secret), not the HMAC-SHA256 that X-HMAC-SIGNATURE carries"
            }
        })
    }
}

/// After a [`VerifyError::Mismatch`], tries the usual mistakes and says which one fits, if any.
/// Not constant time: for diagnostics in tools, never for accepting a request.
#[must_use]
pub fn explain_mismatch(secret: &SharedSecret, body: &[u8], header: &str) -> Option<MismatchHint> {
    let given = decode_signature(Some(header)).ok()?;
    let matches = |candidate: &[u8]| sign(secret, candidate).as_bytes()[..] == given[..];
    // A newline lost or gained on the way: the signer's `echo`, a file's last line, a trim.
    let trimmed = body.trim_ascii_end();
    let with_newline = |end: &[u8]| [body, end].concat();
    if (trimmed.len() != body.len() && matches(trimmed))
        || matches(&with_newline(b"\n"))
        || matches(&with_newline(b"\r\n"))
    {
        return Some(MismatchHint::TrailingNewline);
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
        && reformatted(&value).iter().any(|c| matches(c))
    {
        return Some(MismatchHint::ReSerialized);
    }
    if legacy_x_signature(secret, body).eq_ignore_ascii_case(header.trim()) {
        return Some(MismatchHint::LegacyScheme);
    }
    None
}

/// The same JSON as the serializers people meet write it: compact or pretty (2 or 4 spaces, tabs),
/// non-ASCII raw or escaped (`\u00e9`), `/` raw or escaped (PHP), Python's `", "` and `": "`, each
/// with and without a final newline.
/// A body re-serialized by a framework (`JSON.stringify(req.body)`) is often one of these
/// away from the bytes that were signed.
fn reformatted(value: &serde_json::Value) -> Vec<Vec<u8>> {
    use serde::Serialize as _;
    let with = |formatter: &mut dyn FnMut(&mut Vec<u8>) -> serde_json::Result<()>| {
        let mut out = Vec::new();
        formatter(&mut out).ok().map(|()| out)
    };
    let mut bases = Vec::new();
    bases.extend(with(&mut |o| serde_json::to_writer(o, value)));
    bases.extend(with(&mut |o| serde_json::to_writer_pretty(o, value)));
    bases.extend(with(&mut |o| {
        let f = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        value.serialize(&mut serde_json::Serializer::with_formatter(o, f))
    }));
    bases.extend(with(&mut |o| {
        let f = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        value.serialize(&mut serde_json::Serializer::with_formatter(o, f))
    }));
    bases.extend(with(&mut |o| {
        value.serialize(&mut serde_json::Serializer::with_formatter(
            o,
            PythonSeparators,
        ))
    }));
    let mut all = Vec::new();
    for base in bases {
        // serde_json writes `/` and non-ASCII raw, and only inside strings.
        let text = String::from_utf8_lossy(&base).into_owned();
        let ascii = escape_non_ascii(&text);
        for variant in [text.clone(), ascii.clone()] {
            all.push(variant.replace('/', "\\/").into_bytes());
            all.push(variant.into_bytes());
        }
    }
    // Written to a file or by `echo`: with a final newline.
    let ended: Vec<Vec<u8>> = all.iter().map(|c| [c.as_slice(), b"\n"].concat()).collect();
    all.extend(ended);
    all
}

/// Rewrites every non-ASCII character of JSON text as `\uXXXX` (lower-case hex, a surrogate pair
/// above the BMP), as Python's `ensure_ascii` and PHP do. Non-ASCII can only appear inside JSON
/// strings, so the JSON value stays the same.
#[must_use]
pub fn escape_non_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Python's `json.dumps` default separators: `", "` between items, `": "` after keys.
struct PythonSeparators;

impl serde_json::ser::Formatter for PythonSeparators {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";
    const BODY_1: &str = r#"{"verification":{"callback":"https://veriff.com","person":{"firstName":"John","lastName":"Smith"},"document":{"type":"PASSPORT","country":"EE"},"vendorData":"unique id of a user","timestamp":"2016-05-19T08:30:25.597Z"}}"#;

    fn secret() -> SharedSecret {
        SharedSecret::new(SECRET).unwrap()
    }

    #[test]
    fn published_vectors() {
        let body2 = BODY_1.replace("unique id of a user", "unique id of the end-user");
        let cases = [
            (
                BODY_1,
                "6af6d95822e19e9cc707aec55395d8d363ba2c7bc4625bc04ebeca0c7bf8cd67",
            ),
            (
                body2.as_str(),
                "0dcab73ddd20062616d104231c7439657546a5c24e4691977da93bb854c31e25",
            ),
            (
                "aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7",
                "895cb3fd31139d89aeb7b263682e15479ab57651e70591256ad2c14fde4950dd",
            ),
        ];
        for (body, hex) in cases {
            assert_eq!(sign_hex(&secret(), body.as_bytes()), hex);
            assert_eq!(verify(&secret(), body.as_bytes(), Some(hex)), Ok(()));
            let upper = hex.to_ascii_uppercase();
            assert_eq!(verify(&secret(), body.as_bytes(), Some(&upper)), Ok(()));
        }
    }

    #[test]
    fn debug_is_redacted() {
        let dbg = format!("{:?}", secret());
        assert!(!dbg.contains("abcdef"), "{dbg}");
        assert!(dbg.contains("redacted"));
    }

    #[test]
    fn empty_secret_is_refused() {
        assert_eq!(SharedSecret::new("").unwrap_err(), SecretError::Empty);
        assert_eq!(SharedSecret::new("  ").unwrap_err(), SecretError::Empty);
    }

    #[test]
    fn verify_errors_say_what_is_wrong() {
        let s = secret();
        assert_eq!(verify(&s, b"x", None), Err(VerifyError::Missing));
        assert_eq!(verify(&s, b"x", Some(" ")), Err(VerifyError::Missing));
        assert!(matches!(
            verify(&s, b"x", Some("abc")),
            Err(VerifyError::Malformed { .. })
        ));
        let not_hex = "z".repeat(64);
        assert!(matches!(
            verify(&s, b"x", Some(&not_hex)),
            Err(VerifyError::Malformed { .. })
        ));
        let wrong = sign_hex(&s, b"y");
        assert_eq!(verify(&s, b"x", Some(&wrong)), Err(VerifyError::Mismatch));
    }

    #[test]
    fn legacy_scheme_is_plain_sha256_of_body_then_secret() {
        let s = secret();
        let mut h = Sha256::new();
        h.update(b"{}");
        h.update(SECRET.as_bytes());
        let expected = hex::encode(h.finalize());
        assert_eq!(legacy_x_signature(&s, b"{}"), expected);
        assert_eq!(
            verify_legacy_x_signature(&s, b"{}", Some(&expected)),
            Ok(())
        );
        assert_eq!(
            verify(&s, b"{}", Some(&expected)),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn mismatch_hints() {
        let s = secret();
        let sig = sign_hex(&s, BODY_1.as_bytes());
        let with_newline = format!("{BODY_1}\n");
        assert_eq!(
            explain_mismatch(&s, with_newline.as_bytes(), &sig),
            Some(MismatchHint::TrailingNewline)
        );
        let value: serde_json::Value = serde_json::from_str(BODY_1).unwrap();
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        assert_eq!(
            explain_mismatch(&s, pretty.as_bytes(), &sig),
            Some(MismatchHint::ReSerialized)
        );
        let legacy = legacy_x_signature(&s, BODY_1.as_bytes());
        assert_eq!(
            explain_mismatch(&s, BODY_1.as_bytes(), &legacy),
            Some(MismatchHint::LegacyScheme)
        );
        assert_eq!(explain_mismatch(&s, b"other", &sig), None);

        // Signed with a newline the verified body lacks (`echo`, a file's last line, a trim).
        let signed_with_newline = sign_hex(&s, with_newline.as_bytes());
        assert_eq!(
            explain_mismatch(&s, BODY_1.as_bytes(), &signed_with_newline),
            Some(MismatchHint::TrailingNewline)
        );
        // Signed as PHP or Python write JSON, verified after `JSON.stringify(req.body)`.
        let originals = [
            r#"{"name":"Pe\u00f1a \ud83d\ude00","url":"https:\/\/veriff.com"}"#,
            r#"{"name": "Pe\u00f1a \ud83d\ude00", "url": "https://veriff.com"}"#,
            "{\n    \"name\": \"Pe\u{f1}a \u{1f600}\",\n    \"url\": \"https://veriff.com\"\n}",
            "{\n\t\"name\": \"Pe\u{f1}a\"\n}\n",
            "{\"name\": \"Pe\\u00f1a\"}\n",
        ];
        for original in originals {
            let value: serde_json::Value = serde_json::from_str(original).unwrap();
            let restringified = serde_json::to_string(&value).unwrap();
            assert_eq!(
                explain_mismatch(
                    &s,
                    restringified.as_bytes(),
                    &sign_hex(&s, original.as_bytes())
                ),
                Some(MismatchHint::ReSerialized),
                "{original}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn sign_then_verify_and_any_flip_fails(body in proptest::collection::vec(proptest::num::u8::ANY, 0..512), pos in 0usize..1024, bit in 0u8..8) {
            let s = secret();
            let sig = sign_hex(&s, &body);
            proptest::prop_assert_eq!(verify(&s, &body, Some(&sig)), Ok(()));
            if !body.is_empty() {
                let mut changed = body.clone();
                changed[pos % body.len()] ^= 1 << bit;
                proptest::prop_assert_eq!(verify(&s, &changed, Some(&sig)), Err(VerifyError::Mismatch));
            }
            let mut sig_bytes = sig.into_bytes();
            let i = pos % sig_bytes.len();
            sig_bytes[i] = if sig_bytes[i] == b'0' { b'1' } else { b'0' };
            let bad = String::from_utf8(sig_bytes).unwrap();
            proptest::prop_assert_eq!(verify(&s, &body, Some(&bad)), Err(VerifyError::Mismatch));
        }
    }
}
