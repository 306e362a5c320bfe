//! The receiver driven over real HTTP on 127.0.0.1 with a plain hyper client.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use veriff_mock_contract::{Kind, SharedSecret, sign_hex};
use veriff_mock_receiver::{
    Answer, CancellationToken, Receiver, ReceiverError, RunningReceiver, SignatureCheck,
};

const SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";

const EVENT: &str = r#"{"id":"f04bdb47-d3be-4b28-b028-a652feb060b5","attemptId":"e30122d1-740b-4764-853f-470374a7abf4","feature":"selfid","code":7002,"action":"submitted","vendorData":"12345678","endUserId":"a1b2c35d-e8f7-6d5e-3cd2-a1b2c35db3d4"}"#;
const EVENT_STARTED: &str = r#"{"id":"0b10cb53-4f3b-48af-bd74-60b85354e51f","attemptId":"e30122d1-740b-4764-853f-470374a7abf4","feature":"selfid","code":7001,"action":"started","vendorData":null,"endUserId":null}"#;
const DECISION: &str = r#"{"status":"success","verification":{"id":"12df6045-3846-3e45-946a-14fa6136d78b","code":9001,"person":{"gender":null,"idNumber":null,"lastName":"MORGAN","addresses":[{"fullAddress":"1234 Snowy Ridge Road, Indiana, 56789 USA","parsedAddress":{"city":null,"unit":null,"state":"Indiana","street":"1234 Snowy Ridge Road","country":"USA","postcode":"56789","houseNumber":"null"}}],"firstName":"SARAH","citizenship":null,"dateOfBirth":"1967-03-30","nationality":null,"yearOfBirth":"1967","placeOfBirth":"MADRID","pepSanctionMatch":null},"reason":null,"status":"approved","comments":[],"document":{"type":"DRIVERS_LICENSE","number":"MORGA753116SM9IJ","country":"GB","validFrom":null,"validUntil":"2022-04-20","placeOfIssue":"MADRID","firstIssue":"2015-03-21","issueNumber":"01","issuedBy":"ISSUER"},"reasonCode":null,"vendorData":"12345678","decisionTime":"2019-11-06T07:18:36.916Z","acceptanceTime":"2019-11-06T07:15:27.000Z","additionalVerifiedData":{"driversLicenseCategory":{"B":true},"driversLicenseCategoryFrom":{"B":"2019-10-06"},"driversLicenseCategoryUntil":{"B":"2025-10-05"},"estimatedAge":32,"estimatedGender":0.613},"riskLabels":[{"label":"document_integration_level_crosslinked_with_fraud","category":"document","sessionIds":["5a2358e7-fd31-4fcb-a23f-4d76651ba68a"]}],"biometricAuthentication":{"matchedSessionId":"d40edb60-6ae6-4475-be72-84b81669cce6","matchedSessionVendorData":"User001"}},"technicalData":{"ip":"186.153.67.122"}}"#;
const USER_STATUS: &str = r#"{"data":{"verification":{"id":"a1c68aea-7f4d-478d-80ab-ca9356074f69","userDefinedData":{"reason":"Looks like velocity abuse","status":"Custom status for suspicious attempt","createdAt":"2023-10-27T09:59:15.090805Z","reasonCode":null,"statusCode":"custom_status_for_suspicious_attempt"}}},"time":"2023-10-27T10:00:02.998Z","attemptId":"f2270684-8c51-4d03-88eb-dafd43e8b486","eventType":"user-status.created","sessionId":"0b10cb53-4f3b-48af-bd74-60b85354e51f","vendorData":null,"endUserId":"a1b2c35d-e8f7-6d5e-3cd2-a1b2c35db3d4"}"#;
const INE: &str = r#"{"eventType":"ine_registry","sessionId":"1b4b2c34-5f6d-4e8a-9b0c-1d2e3f4a5b6c","attemptId":"7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f","vendorData":"12345678","endUserId":null,"version":"1.0.0","time":"2024-03-12T10:15:30.123Z","data":{"status":"La credencial es válida","code":200,"details":{"active":true,"documentState":"El documento es válido."}}}"#;
const CURP: &str = r#"{"type":"curp_registry","id":"1b4b2c34-5f6d-4e8a-9b0c-1d2e3f4a5b6c","vendorData":"12345678","endUserId":null,"version":"1.0.0","data":{"attemptId":"7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f","name":"curp_registry","status":"found","code":200,"details":{"statusCurp":"RCN","curp":"VISH760905HSRLNN06","description":"Registro de cambio no afectando a curp"}}}"#;
const UNKNOWN_EVENT_TYPE: &str = r#"{"eventType":"face-match.completed","sessionId":"1b4b2c34-5f6d-4e8a-9b0c-1d2e3f4a5b6c","attemptId":"7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f","data":{"anything":[1,2,3]}}"#;

fn secret() -> SharedSecret {
    SharedSecret::new(SECRET).expect("non-empty secret")
}

/// One keep-alive HTTP/1.1 connection to the receiver.
struct Client {
    send: SendRequest<Full<Bytes>>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (send, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        Client { send }
    }

    async fn request(
        &mut self,
        method: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(u16, String), hyper::Error> {
        let mut request = Request::builder()
            .method(method)
            .uri("/webhooks/veriff")
            .header("host", "127.0.0.1")
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::copy_from_slice(body)))
            .expect("valid request");
        self.send.ready().await?;
        let response = self.send.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    /// POSTs `body` signed with the test secret; returns the status and body.
    async fn signed(&mut self, body: &str) -> (u16, String) {
        let signature = sign_hex(&secret(), body.as_bytes());
        self.request("POST", &[("x-hmac-signature", &signature)], body.as_bytes())
            .await
            .expect("an answer")
    }
}

async fn signed_receiver() -> RunningReceiver {
    Receiver::builder()
        .secret(secret())
        .start()
        .await
        .expect("start")
}

#[tokio::test]
async fn every_docs_sample_signed_is_accepted_and_recorded() {
    let receiver = signed_receiver().await;
    assert!(receiver.url().starts_with("http://127.0.0.1:"));
    assert!(receiver.url().ends_with('/'));
    assert_ne!(receiver.addr().port(), 0);
    let mut client = Client::connect(receiver.addr()).await;
    let samples = [
        (
            EVENT,
            Kind::Event,
            "submitted",
            "f04bdb47-d3be-4b28-b028-a652feb060b5",
        ),
        (
            DECISION,
            Kind::Decision,
            "approved",
            "12df6045-3846-3e45-946a-14fa6136d78b",
        ),
        (
            USER_STATUS,
            Kind::UserStatus,
            "created",
            "0b10cb53-4f3b-48af-bd74-60b85354e51f",
        ),
        (
            INE,
            Kind::Ine,
            "active",
            "1b4b2c34-5f6d-4e8a-9b0c-1d2e3f4a5b6c",
        ),
        (
            CURP,
            Kind::Curp,
            "found",
            "1b4b2c34-5f6d-4e8a-9b0c-1d2e3f4a5b6c",
        ),
    ];
    for (body, ..) in samples {
        let (status, answer) = client.signed(body).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer, r#"{"status":"ok"}"#);
    }
    let records = receiver.records();
    assert_eq!(records.len(), samples.len());
    for (record, (body, kind, label, session)) in records.iter().zip(samples) {
        assert_eq!(record.answer, Answer::Ok);
        assert_eq!(record.signature, SignatureCheck::Valid);
        assert_eq!(record.kind, Some(kind));
        assert_eq!(record.status.as_deref(), Some(label));
        assert_eq!(record.session_id.as_deref(), Some(session));
        assert_eq!(record.body_len, body.len());
        assert_eq!(record.path, "/webhooks/veriff");
        assert_eq!(record.attempt, None);
    }
    let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4]);
    let stats = receiver.stats();
    assert_eq!((stats.requests, stats.ok), (5, 5));
    assert_eq!(stats.by_kind.get(&Kind::Decision), Some(&1));
    assert_eq!(stats.by_kind.get(&Kind::Watchlist), None);
}

#[tokio::test]
async fn upper_case_hex_and_the_newer_header_name_verify() {
    let receiver = signed_receiver().await;
    let mut client = Client::connect(receiver.addr()).await;
    let upper = sign_hex(&secret(), EVENT.as_bytes()).to_ascii_uppercase();
    let (status, _) = client
        .request("POST", &[("X-HMAC-SIGNATURE", &upper)], EVENT.as_bytes())
        .await
        .unwrap();
    assert_eq!(status, 200);
    let lower = sign_hex(&secret(), EVENT.as_bytes());
    let (status, _) = client
        .request("POST", &[("vrf-hmac-signature", &lower)], EVENT.as_bytes())
        .await
        .unwrap();
    assert_eq!(status, 200);
}

/// Headers sent, the start of the error answered, the check recorded.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, SignatureCheck);

#[tokio::test]
async fn bad_signatures_are_refused_with_the_reason() {
    let receiver = signed_receiver().await;
    let mut client = Client::connect(receiver.addr()).await;
    let other_secret = SharedSecret::new("another-secret").unwrap();
    let wrong = sign_hex(&other_secret, EVENT.as_bytes());
    let of_other_body = sign_hex(&secret(), EVENT_STARTED.as_bytes());
    let cases: [Case<'_>; 5] = [
        (&[], "missing signature", SignatureCheck::Missing),
        (
            &[("x-hmac-signature", "")],
            "missing signature",
            SignatureCheck::Missing,
        ),
        (
            &[("x-hmac-signature", "abc123")],
            "malformed signature",
            SignatureCheck::Malformed,
        ),
        (
            &[("x-hmac-signature", &wrong)],
            "signature mismatch",
            SignatureCheck::Mismatch,
        ),
        (
            &[("x-hmac-signature", &of_other_body)],
            "signature mismatch",
            SignatureCheck::Mismatch,
        ),
    ];
    for (headers, reason, _) in &cases {
        let (status, answer) = client
            .request("POST", headers, EVENT.as_bytes())
            .await
            .unwrap();
        assert_eq!(status, 401, "{answer}");
        let json: serde_json::Value = serde_json::from_str(&answer).expect("JSON error body");
        let error = json["error"].as_str().unwrap();
        assert!(error.starts_with(reason), "{error}");
        assert!(!answer.contains(SECRET));
    }
    // A body re-serialized after signing (pretty-printed) does not verify either.
    let signature = sign_hex(&secret(), EVENT.as_bytes());
    let value: serde_json::Value = serde_json::from_str(EVENT).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let (status, _) = client
        .request(
            "POST",
            &[("x-hmac-signature", &signature)],
            pretty.as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(status, 401);

    let records = receiver.records();
    let checks: Vec<SignatureCheck> = records.iter().map(|r| r.signature).collect();
    let mut expected: Vec<SignatureCheck> = cases.iter().map(|c| c.2).collect();
    expected.push(SignatureCheck::Mismatch);
    assert_eq!(checks, expected);
    // An unverified body is not parsed: nothing about it is reported as if it were true.
    assert!(
        records
            .iter()
            .all(|r| r.kind.is_none() && r.session_id.is_none())
    );
    assert_eq!(receiver.stats().unauthorized, 6);
}

#[tokio::test]
async fn bodies_that_are_not_veriff_payloads_are_400() {
    let receiver = signed_receiver().await;
    let mut client = Client::connect(receiver.addr()).await;
    let not_veriff = [
        "not json at all",
        r#"{"truncated":"#,
        "[1,2,3]",
        r#"{"hello":"world"}"#,
        // Looks like an event (known action) but lacks the session id.
        r#"{"attemptId":"e30122d1-740b-4764-853f-470374a7abf4","feature":"selfid","code":7002,"action":"submitted"}"#,
        "",
    ];
    for body in not_veriff {
        let (status, answer) = client.signed(body).await;
        assert_eq!(status, 400, "{body:?} -> {answer}");
        assert!(answer.contains("not a Veriff webhook"), "{answer}");
    }
    let stats = receiver.stats();
    assert_eq!((stats.bad_request, stats.ok), (not_veriff.len() as u64, 0));
    assert!(receiver.records().iter().all(|r| r.signature.is_valid()));
}

#[tokio::test]
async fn unknown_event_types_are_accepted() {
    let receiver = signed_receiver().await;
    let mut client = Client::connect(receiver.addr()).await;
    let (status, _) = client.signed(UNKNOWN_EVENT_TYPE).await;
    assert_eq!(status, 200);
    let record = receiver.records().pop().unwrap();
    assert_eq!(record.kind, None);
    assert_eq!(record.status.as_deref(), Some("face-match.completed"));
    assert_eq!(
        record.session_id.as_deref(),
        Some("1b4b2c34-5f6d-4e8a-9b0c-1d2e3f4a5b6c")
    );
    let stats = receiver.stats();
    assert_eq!((stats.ok, stats.unknown_event_type), (1, 1));
    assert!(
        record
            .to_string()
            .contains("unknown-event-type face-match.completed")
    );
}

#[tokio::test]
async fn status_sequence_applies_per_payload() {
    let receiver = Receiver::builder()
        .secret(secret())
        .status_sequence([500, 500, 200])
        .start()
        .await
        .unwrap();
    let mut client = Client::connect(receiver.addr()).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(client.signed(EVENT).await.0);
        got.push(client.signed(DECISION).await.0);
    }
    assert_eq!(got, [500, 500, 500, 500, 200, 200]);
    // Exhausted: the normal verdict applies from now on, for either payload.
    assert_eq!(client.signed(EVENT).await.0, 200);
    // A refused request is not an attempt: it does not advance a fresh payload's sequence.
    let (status, _) = client
        .request(
            "POST",
            &[("x-hmac-signature", &"0".repeat(64))],
            EVENT_STARTED.as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(status, 401);
    assert_eq!(client.signed(EVENT_STARTED).await.0, 500);

    let attempts: Vec<Option<u32>> = receiver.records().iter().map(|r| r.attempt).collect();
    assert_eq!(
        attempts,
        [
            Some(1),
            Some(1),
            Some(2),
            Some(2),
            Some(3),
            Some(3),
            Some(4),
            None,
            Some(1)
        ]
    );
    let stats = receiver.stats();
    assert_eq!(
        (stats.failed_on_purpose, stats.ok, stats.unauthorized),
        (5, 3, 1)
    );
    let first = &receiver.records()[0];
    assert_eq!(first.answer, Answer::Scripted(500));
    assert_eq!(first.kind, Some(Kind::Event));
}

#[tokio::test]
async fn fail_with_times_then_ok_reads_as_a_sequence() {
    let builder = Receiver::builder()
        .fail_with(503)
        .times(2)
        .then_fail_with(502)
        .once()
        .then_ok();
    let receiver = builder.start().await.unwrap();
    assert_eq!(receiver.config().status_sequence, [503, 503, 502, 200]);
    let mut client = Client::connect(receiver.addr()).await;
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(
            client
                .request("POST", &[], EVENT.as_bytes())
                .await
                .unwrap()
                .0,
        );
    }
    assert_eq!(got, [503, 503, 502, 200, 200]);
}

async fn fail_rate_run(seed: u64) -> (Vec<u16>, u64) {
    let receiver = Receiver::builder()
        .fail_rate(0.33)
        .seed(seed)
        .start()
        .await
        .unwrap();
    let mut client = Client::connect(receiver.addr()).await;
    let mut got = Vec::new();
    for _ in 0..90 {
        got.push(
            client
                .request("POST", &[], EVENT.as_bytes())
                .await
                .unwrap()
                .0,
        );
    }
    let failed = receiver.shutdown().await.failed_on_purpose;
    (got, failed)
}

#[tokio::test]
async fn fail_rate_is_reproducible_from_its_seed() {
    let (a, failed) = fail_rate_run(7).await;
    let (b, _) = fail_rate_run(7).await;
    let (c, _) = fail_rate_run(8).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.iter().all(|s| *s == 200 || *s == 500));
    let fails = a.iter().filter(|s| **s == 500).count() as u64;
    assert_eq!(fails, failed);
    assert!((12..=48).contains(&fails), "{fails} of 90 at rate 0.33");
}

#[tokio::test]
async fn fail_rate_applies_after_the_sequence_with_its_own_status() {
    let receiver = Receiver::builder()
        .status_sequence([200])
        .fail_rate(1.0)
        .fail_status(429)
        .start()
        .await
        .unwrap();
    let mut client = Client::connect(receiver.addr()).await;
    assert_eq!(
        client
            .request("POST", &[], EVENT.as_bytes())
            .await
            .unwrap()
            .0,
        200
    );
    assert_eq!(
        client
            .request("POST", &[], EVENT.as_bytes())
            .await
            .unwrap()
            .0,
        429
    );
}

#[tokio::test(start_paused = true)]
async fn delay_holds_the_answer() {
    let receiver = Receiver::builder()
        .secret(secret())
        .delay(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let mut client = Client::connect(receiver.addr()).await;
    let started = tokio::time::Instant::now();
    assert_eq!(client.signed(EVENT).await.0, 200);
    assert!(started.elapsed() >= Duration::from_secs(3600));
    // The delay applies to refusals too.
    let started = tokio::time::Instant::now();
    assert_eq!(
        client
            .request("POST", &[], EVENT.as_bytes())
            .await
            .unwrap()
            .0,
        401
    );
    assert!(started.elapsed() >= Duration::from_secs(3600));
    assert!(receiver.records()[0].elapsed >= Duration::from_secs(3600));
}

#[tokio::test(start_paused = true)]
async fn idle_keep_alive_connections_stay_open() {
    let receiver = signed_receiver().await;
    let mut client = Client::connect(receiver.addr()).await;
    // Opened ahead of use and idle, as a sender's pool does.
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(client.signed(EVENT).await.0, 200);
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(client.signed(EVENT).await.0, 200);
}

#[tokio::test]
async fn drop_closes_the_connection_without_an_answer() {
    let receiver = Receiver::builder()
        .secret(secret())
        .drop_rate(1.0)
        .start()
        .await
        .unwrap();
    let mut client = Client::connect(receiver.addr()).await;
    let signature = sign_hex(&secret(), EVENT.as_bytes());
    let err = client
        .request(
            "POST",
            &[("x-hmac-signature", &signature)],
            EVENT.as_bytes(),
        )
        .await
        .expect_err("no answer");
    assert!(err.is_incomplete_message() || err.is_closed(), "{err:?}");
    let stats = receiver.stats();
    assert_eq!((stats.requests, stats.dropped, stats.ok), (1, 1, 0));
    let record = receiver.records().pop().unwrap();
    assert_eq!(record.answer, Answer::Dropped);
    assert_eq!(record.answer.http_status(), None);
    assert_eq!(record.signature, SignatureCheck::NotChecked);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let receiver = Receiver::builder().body_limit(64).start().await.unwrap();
    let mut client = Client::connect(receiver.addr()).await;
    let (status, answer) = client.request("POST", &[], EVENT.as_bytes()).await.unwrap();
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("larger than 64 bytes"));
    assert_eq!(receiver.stats().too_large, 1);
    let mut client = Client::connect(receiver.addr()).await;
    assert_eq!(client.request("POST", &[], b"{}").await.unwrap().0, 400);
}

#[tokio::test]
async fn only_post_is_allowed() {
    let receiver = signed_receiver().await;
    let stream = TcpStream::connect(receiver.addr()).await.unwrap();
    let (mut send, conn) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    for method in ["GET", "PUT", "DELETE"] {
        let request = Request::builder()
            .method(method)
            .uri("/")
            .header("host", "127.0.0.1")
            .body(Full::new(Bytes::new()))
            .unwrap();
        send.ready().await.unwrap();
        let response = send.send_request(request).await.unwrap();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "POST");
        let _ = response.into_body().collect().await.unwrap();
    }
    assert_eq!(receiver.stats().method_not_allowed, 3);
}

#[tokio::test]
async fn api_key_is_checked_when_required() {
    let receiver = Receiver::builder()
        .secret(secret())
        .api_key("public-api-key")
        .start()
        .await
        .unwrap();
    assert!(receiver.config().requires_api_key);
    let mut client = Client::connect(receiver.addr()).await;
    let signature = sign_hex(&secret(), EVENT.as_bytes());
    let with = |key: &'static str| {
        [
            ("x-hmac-signature", signature.clone()),
            ("x-auth-client", key.to_owned()),
        ]
    };
    for (key, expected) in [("public-api-key", 200), ("other-key", 401)] {
        let headers = with(key);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let (status, answer) = client
            .request("POST", &headers, EVENT.as_bytes())
            .await
            .unwrap();
        assert_eq!(status, expected, "{answer}");
    }
    let (status, answer) = client
        .request(
            "POST",
            &[("x-hmac-signature", &signature)],
            EVENT.as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(status, 401);
    assert!(answer.contains("missing X-AUTH-CLIENT"));
    let (status, _) = client
        .request(
            "POST",
            &[
                ("vrf-hmac-signature", &signature),
                ("vrf-auth-client", "public-api-key"),
            ],
            EVENT.as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn without_a_secret_nothing_is_verified_and_the_config_says_so() {
    let receiver = Receiver::builder().start().await.unwrap();
    assert!(!receiver.config().verifies_signatures);
    assert!(
        receiver
            .config()
            .to_string()
            .contains("NOT verifying signatures")
    );
    let mut client = Client::connect(receiver.addr()).await;
    let (status, _) = client
        .request("POST", &[("x-hmac-signature", "garbage")], EVENT.as_bytes())
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(receiver.records()[0].signature, SignatureCheck::NotChecked);
    assert_eq!(client.request("POST", &[], b"nope").await.unwrap().0, 400);
}

#[tokio::test]
async fn config_describes_the_script_without_secrets() {
    let receiver = Receiver::builder()
        .secret(secret())
        .api_key("public-api-key")
        .status_sequence([500, 500, 200])
        .fail_rate(0.25)
        .seed(42)
        .delay(Duration::from_millis(250))
        .start()
        .await
        .unwrap();
    let line = receiver.config().to_string();
    assert!(
        line.starts_with(&format!("listening on {}", receiver.url())),
        "{line}"
    );
    for part in [
        "verifying X-HMAC-SIGNATURE",
        "500,500,200 per payload",
        "fail rate 0.25",
        "seed 42",
        "250ms",
    ] {
        assert!(line.contains(part), "{part} missing from {line}");
    }
    assert!(
        !line.contains(SECRET) && !line.contains("public-api-key"),
        "{line}"
    );
    assert!(!format!("{receiver:?}").contains(SECRET));
}

#[tokio::test]
async fn subscribers_get_one_event_per_request_and_records_stay_bounded() {
    let receiver = Receiver::builder()
        .secret(secret())
        .record_capacity(3)
        .start()
        .await
        .unwrap();
    let mut events = receiver.subscribe();
    let mut client = Client::connect(receiver.addr()).await;
    for body in [EVENT, EVENT_STARTED, DECISION, INE, CURP] {
        assert_eq!(client.signed(body).await.0, 200);
    }
    assert_eq!(
        client
            .request("POST", &[], EVENT.as_bytes())
            .await
            .unwrap()
            .0,
        401
    );
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(events.recv().await.unwrap());
    }
    let kinds: Vec<Option<Kind>> = seen.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            Some(Kind::Event),
            Some(Kind::Event),
            Some(Kind::Decision),
            Some(Kind::Ine),
            Some(Kind::Curp),
            None
        ]
    );
    let line = seen[2].to_string();
    assert!(
        line.starts_with("#2 /webhooks/veriff 200 ok decision approved session=12df6045"),
        "{line}"
    );
    assert!(
        seen[5].to_string().contains("401 unauthorized"),
        "{}",
        seen[5]
    );
    let seqs: Vec<u64> = receiver.records().iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [3, 4, 5]);
    receiver.clear_records();
    assert!(receiver.records().is_empty());
    assert_eq!(receiver.stats().requests, 6);
    // The channel closes when the receiver stops.
    let _ = receiver.shutdown().await;
    assert!(events.recv().await.is_err());
}

#[tokio::test(start_paused = true)]
async fn shutdown_finishes_in_flight_requests_then_stops_listening() {
    let receiver = Receiver::builder()
        .delay(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let addr = receiver.addr();
    let mut events = receiver.subscribe();
    let in_flight = tokio::spawn(async move {
        let mut client = Client::connect(addr).await;
        client.request("POST", &[], EVENT.as_bytes()).await
    });
    // Wait until the request is in the receiver's hands (its delay has started).
    while receiver.stats().requests == 0 {
        tokio::task::yield_now().await;
    }
    let stats = receiver.shutdown().await;
    assert_eq!(stats.ok, 1);
    let (status, _) = in_flight
        .await
        .unwrap()
        .expect("in-flight request answered");
    assert_eq!(status, 200);
    assert!(events.recv().await.is_ok());
    assert!(TcpStream::connect(addr).await.is_err(), "still listening");
}

#[tokio::test(start_paused = true)]
async fn shutdown_gives_up_on_requests_slower_than_the_grace_period() {
    let receiver = Receiver::builder()
        .delay(Duration::from_secs(3600))
        .grace_period(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let addr = receiver.addr();
    let in_flight = tokio::spawn(async move {
        let mut client = Client::connect(addr).await;
        client.request("POST", &[], EVENT.as_bytes()).await
    });
    while receiver.stats().requests == 0 {
        tokio::task::yield_now().await;
    }
    let started = tokio::time::Instant::now();
    let _ = receiver.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(3600));
    assert!(in_flight.await.unwrap().is_err());
}

#[tokio::test]
async fn dropping_or_cancelling_stops_the_receiver() {
    let receiver = Receiver::builder().start().await.unwrap();
    let addr = receiver.addr();
    drop(receiver);
    let mut refused = false;
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(refused, "still listening after drop");

    let token = CancellationToken::new();
    let receiver = Receiver::builder()
        .cancel_on(token.clone())
        .start()
        .await
        .unwrap();
    token.cancel();
    receiver.stopping().await;
    let addr = receiver.addr();
    let _ = receiver.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn bad_settings_and_busy_ports_are_errors() {
    let err = Receiver::builder()
        .fail_rate(1.5)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ReceiverError::InvalidRate {
                what: "fail rate",
                ..
            }
        ),
        "{err}"
    );
    let err = Receiver::builder()
        .drop_rate(f64::NAN)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ReceiverError::InvalidRate {
                what: "drop rate",
                ..
            }
        ),
        "{err}"
    );
    let err = Receiver::builder()
        .status_sequence([500, 99])
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("99"), "{err}");
    let err = Receiver::builder().api_key(" ").start().await.unwrap_err();
    assert!(matches!(err, ReceiverError::EmptyApiKey));

    let first = Receiver::builder().start().await.unwrap();
    let err = Receiver::builder()
        .bind(first.addr())
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, ReceiverError::Bind { .. }), "{err}");
    assert!(err.to_string().contains(&first.addr().to_string()));
}

#[tokio::test]
async fn wait_for_requests_resolves_once_enough_were_handled() {
    let receiver = Receiver::builder().start().await.unwrap();
    let waited =
        tokio::time::timeout(Duration::from_millis(20), receiver.wait_for_requests(1)).await;
    assert!(waited.is_err(), "nothing was sent yet");
    let addr = receiver.addr();
    let sender = tokio::spawn(async move {
        let mut client = Client::connect(addr).await;
        for _ in 0..3 {
            client.request("POST", &[], EVENT.as_bytes()).await.unwrap();
        }
    });
    let handled = tokio::time::timeout(Duration::from_secs(10), receiver.wait_for_requests(3))
        .await
        .expect("three requests handled");
    assert!(handled >= 3);
    sender.await.unwrap();
    assert_eq!(receiver.wait_for_requests(0).await, 3);
}

#[tokio::test]
async fn many_concurrent_clients_are_all_counted() {
    let receiver = Receiver::builder()
        .secret(secret())
        .record_capacity(0)
        .start()
        .await
        .unwrap();
    let addr = receiver.addr();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            tokio::spawn(async move {
                let mut client = Client::connect(addr).await;
                for _ in 0..25 {
                    assert_eq!(client.signed(EVENT).await.0, 200);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stats = receiver.shutdown().await;
    assert_eq!((stats.requests, stats.ok), (400, 400));
    assert_eq!(stats.by_kind.get(&Kind::Event), Some(&400));
}
