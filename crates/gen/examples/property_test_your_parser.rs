//! How an integrator property-tests their own webhook handler with veriff-mock's strategies.
//!
//! Run: `cargo run -p veriff-mock-gen --features proptest --example property_test_your_parser`
//!
//! In your own crate you would write the same properties inside `proptest! { #[test] ... }`;
//! here they run through proptest's `TestRunner` so the example is a plain program. The handler
//! below has a planted bug (it trusts `vendorData` to fit in 64 characters, though Veriff allows
//! 1,000): the runner finds it and shrinks it to a minimal payload.
#![allow(clippy::print_stdout)]

#[cfg(feature = "proptest")]
fn main() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestError, TestRunner};
    use veriff_mock_contract::{SharedSecret, headers, verify};
    use veriff_mock_gen::strategies::{
        WebhookParams, any_webhook, compat_variants, mangled_variants, signed,
    };

    /// The handler under test: verify, parse, store.
    fn handle(secret: &SharedSecret, signature: Option<&str>, body: &[u8]) -> Result<u16, String> {
        if verify(secret, body, signature).is_err() {
            return Ok(401);
        }
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            return Ok(400);
        };
        let vendor = value
            .get("vendorData")
            .or_else(|| value.pointer("/verification/vendorData"))
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if vendor.len() > 64 {
            return Err(format!(
                "vendorData of {} characters overflows the column",
                vendor.len()
            ));
        }
        Ok(200)
    }

    let secret = SharedSecret::new("abcdef12-abcd-abcd-abcd-abcdef012345").expect("a secret");
    let config = Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    };

    // 1. Every valid payload, and every backwards-compatible change of one, gets 200.
    let valid = signed(
        secret.clone(),
        compat_variants(any_webhook(&WebhookParams::default())),
    );
    let result = TestRunner::new(config.clone()).run(&valid, |request| {
        let status = handle(
            &secret,
            request.header(headers::X_HMAC_SIGNATURE),
            &request.body,
        )
        .map_err(TestCaseError::fail)?;
        prop_assert_eq!(status, 200);
        Ok(())
    });
    match result {
        Ok(()) => println!("valid payloads: all accepted"),
        Err(TestError::Fail(why, minimal)) => println!(
            "valid payloads: found a bug: {}\nminimal failing payload ({} {}, after {}):\n{}",
            why.message(),
            minimal.inner.payload.kind,
            minimal.inner.payload.status,
            minimal.inner.mutation,
            String::from_utf8_lossy(&minimal.body)
        ),
        Err(TestError::Abort(why)) => println!("aborted: {}", why.message()),
    }

    // 2. Broken bodies, correctly signed: never a panic, never an error, always a 4xx.
    let broken = signed(
        secret.clone(),
        mangled_variants(any_webhook(&WebhookParams::default())),
    );
    let result = TestRunner::new(config).run(&broken, |request| {
        let status = handle(
            &secret,
            request.header(headers::X_HMAC_SIGNATURE),
            &request.body,
        )
        .map_err(TestCaseError::fail)?;
        prop_assert!(status == 200 || (400..500).contains(&status), "{}", status);
        Ok(())
    });
    match result {
        Ok(()) => println!("mangled payloads: every one answered 200 or 4xx"),
        Err(TestError::Fail(why, minimal)) => println!(
            "mangled payloads: found a bug: {} (body {})",
            why.message(),
            minimal.inner.mangling
        ),
        Err(TestError::Abort(why)) => println!("aborted: {}", why.message()),
    }
}

#[cfg(not(feature = "proptest"))]
fn main() {
    println!("run with --features proptest");
}
