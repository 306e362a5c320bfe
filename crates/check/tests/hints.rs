//! What a failed check says to fix follows the answer the receiver gave, before the check's own
//! hint: another 2xx is not 200, a 401 to a correctly signed body is a signature problem, and a
//! duplicate whose first delivery failed is not an idempotency problem.

use veriff_mock_check::{CheckConfig, Report, run};
use veriff_mock_contract::SharedSecret;
use veriff_mock_receiver::{Receiver, ReceiverBuilder};

const SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";

async fn check_against(builder: ReceiverBuilder) -> Report {
    let receiver = builder.start().await.unwrap();
    let config = CheckConfig::new(&receiver.url(), SharedSecret::new(SECRET).unwrap())
        .unwrap()
        .cases(8)
        .seed(11)
        .timeout(std::time::Duration::from_secs(10));
    run(&config).await
}

fn correct() -> ReceiverBuilder {
    Receiver::builder().secret(SharedSecret::new(SECRET).unwrap())
}

fn reason<'a>(report: &'a Report, name: &str) -> &'a str {
    let check = report
        .check(name)
        .unwrap_or_else(|| panic!("no check {name}"));
    assert!(!check.passed, "{name} passed\n{}", report.to_text());
    &check.reason
}

/// The hints of checks that have nothing to do with the answer, which must not show up.
const UNRELATED: [&str; 4] = [
    "store vendorData",
    "be idempotent",
    "ignore unknown properties",
    "re-serialize",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_2xx_is_told_to_answer_exactly_200() {
    for status in [201, 204] {
        let report = check_against(correct().fail_rate(1.0).fail_status(status)).await;
        // Every check that expects 200 fails; only the rejections, the timing and the broken
        // bodies pass.
        for check in report.checks.iter().filter(|c| c.passed) {
            let expects_rejection =
                check.group() == "signature" && check.name != "signature/uppercase-hex";
            assert!(
                expects_rejection
                    || ["delivery/response-time", "property/mangled-payloads"]
                        .contains(&check.name.as_str()),
                "{} passed\n{}",
                check.name,
                report.to_text()
            );
        }
        for check in report.failures() {
            assert!(
                check.reason.contains(&format!("answered {status}"))
                    && check.reason.contains("answer exactly 200")
                    && check.reason.contains("only HTTP 200"),
                "{}: {}",
                check.name,
                check.reason
            );
            for unrelated in UNRELATED {
                assert!(!check.reason.contains(unrelated), "{}", check.reason);
            }
        }
        // The rejections are still checked.
        assert!(report.check("signature/wrong-secret").unwrap().passed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_rejects_valid_signatures_is_told_so() {
    // It verifies with another key (the API key, say), so every correctly signed body gets 401.
    let other = SharedSecret::new("00000000-0000-4000-8000-000000000000").unwrap();
    let report = check_against(Receiver::builder().secret(other)).await;
    for name in [
        "valid/decision",
        "compat/unknown-fields",
        "compat/long-vendor-data",
        "property/valid-payloads",
    ] {
        let reason = reason(&report, name);
        assert!(
            reason.contains("answered 401")
                && reason.contains("a correctly signed body was rejected")
                && reason.contains("shared secret key (not the API key)"),
            "{name}: {reason}"
        );
        for unrelated in UNRELATED {
            assert!(!reason.contains(unrelated), "{name}: {reason}");
        }
    }
    // The first delivery of the duplicate failed: not an idempotency problem.
    let duplicate = reason(&report, "delivery/duplicate");
    assert!(
        duplicate.starts_with("delivery 1 of 2: answered 401")
            && duplicate.contains("not an idempotency problem")
            && duplicate.contains("a correctly signed body was rejected")
            && !duplicate.contains("be idempotent"),
        "{duplicate}"
    );
    // A re-formatted body: the signature hint, then what is special about this body.
    let pretty = reason(&report, "compat/pretty-printed");
    assert!(
        pretty.contains("a correctly signed body was rejected") && pretty.contains("re-serialize"),
        "{pretty}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_body_is_not_blamed_on_the_signature() {
    // A strict schema that answers 422 to valid payloads.
    let report = check_against(correct().fail_rate(1.0).fail_status(422)).await;
    let pretty = reason(&report, "compat/pretty-printed");
    assert!(
        pretty.contains("answered 422")
            && pretty.contains("the body itself was refused")
            && !pretty.contains("re-serialize"),
        "{pretty}"
    );
    // Where the check's own hint is about the content, it stays.
    let unknown = reason(&report, "compat/unknown-fields");
    assert!(unknown.contains("ignore unknown properties"), "{unknown}");
    let duplicate = reason(&report, "delivery/duplicate");
    assert!(
        duplicate.starts_with("delivery 1 of 2: answered 422")
            && duplicate.contains("not an idempotency problem")
            && !duplicate.contains("be idempotent"),
        "{duplicate}"
    );
}
