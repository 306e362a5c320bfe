//! A fixed run: fixed clock, fixed port, fixed ids, so snapshots need no filtering.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use veriff_mock_contract::Kind;
use veriff_mock_tui::{
    App, AppOptions, AttemptDetail, AttemptOutcome, DeliveryDetail, DeliveryId, DeliveryRow,
    HeaderInfo, MemorySource, Mode, TuiEvent,
};

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
}

pub fn at(ms: i64) -> DateTime<Utc> {
    start() + chrono::Duration::milliseconds(ms)
}

/// The screen's clock in the fixed run.
pub fn now() -> DateTime<Utc> {
    at(42_000)
}

pub fn header() -> HeaderInfo {
    HeaderInfo {
        targets: vec!["http://127.0.0.1:8080/webhooks".to_owned()],
        scenario: "mix".to_owned(),
        retry_policy: "veriff: hourly for 7 days".to_owned(),
        time_scale: Some(3600.0),
        started_at: start(),
    }
}

pub fn session(id: u64) -> String {
    format!("{:08x}-7d1c-4a6e-9b2f-{:012x}", id * 0x0111_1111, id)
}

pub fn row(id: u64, kind: Kind, status: &str, vendor: Option<&str>) -> DeliveryRow {
    DeliveryRow::queued(
        DeliveryId(id),
        at(i64::try_from(id).unwrap() * 500),
        kind,
        status,
        session(id),
        vendor.map(str::to_owned),
    )
}

fn started(id: u64, attempt: u32, ms: i64, manual: bool) -> TuiEvent {
    TuiEvent::AttemptStarted {
        id: DeliveryId(id),
        attempt,
        manual,
        at: at(ms),
    }
}

fn finished(id: u64, attempt: u32, ms: i64, outcome: AttemptOutcome, latency_ms: u64) -> TuiEvent {
    TuiEvent::AttemptFinished {
        id: DeliveryId(id),
        attempt,
        outcome,
        latency: Duration::from_millis(latency_ms),
        manual: false,
        at: at(ms),
    }
}

fn status(code: u16) -> AttemptOutcome {
    AttemptOutcome::Status(code)
}

fn delivered(id: u64, ms: i64) -> TuiEvent {
    TuiEvent::Delivered {
        id: DeliveryId(id),
        at: at(ms),
    }
}

fn retry(id: u64, ms: i64) -> TuiEvent {
    TuiEvent::RetryScheduled {
        id: DeliveryId(id),
        at: at(ms),
    }
}

/// Twelve deliveries of every kind: delivered, retrying, exhausted, rejected as expected, in
/// flight and queued.
pub fn run_with_retries() -> Vec<TuiEvent> {
    let rows = [
        row(1, Kind::Decision, "approved", Some("user-1001")),
        row(2, Kind::Event, "started", Some("user-1002")),
        row(3, Kind::Decision, "declined", Some("user-1003")),
        row(4, Kind::Watchlist, "possible_match", Some("user-1004")),
        row(5, Kind::Decision, "resubmission_requested", None),
        row(6, Kind::FullAuto, "approved", Some("user-1006")),
        row(7, Kind::UserStatus, "created", Some("user-1007")),
        row(8, Kind::Ine, "active", None),
        row(9, Kind::Curp, "found", Some("user-1009")),
        row(10, Kind::Decision, "approved", Some("user-1010")),
        row(11, Kind::IneCurp, "found", Some("user-1011")),
        row(12, Kind::Decision, "review", Some("user-1012")),
    ];
    let mut events: Vec<TuiEvent> = rows.into_iter().map(TuiEvent::Queued).collect();
    events.extend([
        started(1, 1, 1_000, false),
        finished(1, 1, 1_035, status(200), 35),
        delivered(1, 1_035),
        started(2, 1, 1_100, false),
        finished(2, 1, 1_112, status(200), 12),
        delivered(2, 1_112),
        started(3, 1, 2_000, false),
        finished(3, 1, 2_040, status(503), 40),
        retry(3, 42_600),
        started(4, 1, 2_100, false),
        finished(
            4,
            1,
            7_100,
            AttemptOutcome::Error("timeout".to_owned()),
            5_000,
        ),
        retry(4, 8_100),
        started(4, 2, 8_100, false),
        finished(4, 2, 8_190, status(500), 90),
        retry(4, 43_500),
        started(5, 1, 3_000, false),
        finished(5, 1, 3_020, status(404), 20),
        retry(5, 4_000),
        started(5, 2, 4_000, false),
        finished(5, 2, 4_021, status(404), 21),
        TuiEvent::Exhausted {
            id: DeliveryId(5),
            at: at(4_021),
        },
        started(6, 1, 3_100, false),
        finished(6, 1, 3_108, status(401), 8),
        TuiEvent::ExpectedRejection {
            id: DeliveryId(6),
            at: at(3_108),
        },
        started(7, 1, 3_500, false),
        finished(7, 1, 3_530, status(502), 30),
        retry(7, 45_000),
        started(7, 2, 41_000, true),
        started(10, 1, 5_000, false),
        finished(10, 1, 5_002, AttemptOutcome::Error("connect".to_owned()), 2),
        retry(10, 6_000),
        started(10, 2, 6_000, false),
        finished(10, 2, 6_045, status(200), 45),
        delivered(10, 6_045),
        started(11, 1, 6_100, false),
        finished(11, 1, 6_130, status(200), 30),
        delivered(11, 6_130),
        started(12, 1, 6_500, false),
        finished(12, 1, 6_510, status(429), 10),
        retry(12, 44_000),
    ]);
    events
}

pub const SIGNATURE: &str = "6c0fdb3e0f7e1d5a3b9c2d4e8f1a0b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a";

/// Delivery 4 in full, as the store would return it.
pub fn detail_of_4(row: DeliveryRow) -> DeliveryDetail {
    DeliveryDetail {
        row,
        url: "http://127.0.0.1:8080/webhooks/watchlist".to_owned(),
        request_headers: vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("x-auth-client".to_owned(), "public-api-key-0001".to_owned()),
            ("x-hmac-signature".to_owned(), SIGNATURE.to_owned()),
        ],
        request_body: br#"{"checkType":"updated_result","attemptId":"a1b2","vendorData":"user-1004","matchStatus":"possible_match","searchTerm":{"name":"Juan Perez","year":"1980"},"totalHits":1}"#.to_vec(),
        attempts: vec![
            AttemptDetail {
                number: 1,
                started_at: at(2_100),
                outcome: Some(AttemptOutcome::Error("timeout".to_owned())),
                latency: Some(Duration::from_millis(5_000)),
                error_detail: Some("no response within 5s".to_owned()),
                manual: false,
                response_headers: Vec::new(),
                response_body: Vec::new(),
            },
            AttemptDetail {
                number: 2,
                started_at: at(8_100),
                outcome: Some(AttemptOutcome::Status(500)),
                latency: Some(Duration::from_millis(90)),
                error_detail: None,
                manual: false,
                response_headers: vec![
                    ("content-type".to_owned(), "application/json".to_owned()),
                    ("content-length".to_owned(), "16".to_owned()),
                ],
                response_body: br#"{"error":"boom"}"#.to_vec(),
            },
        ],
    }
}

/// A store holding the fixed run, with delivery 4 in full.
pub fn source() -> MemorySource {
    let mut source = MemorySource::new(header());
    for event in run_with_retries() {
        source.push_event(event);
    }
    let mut rows = veriff_mock_tui::DetailSource::rows(
        &mut source,
        &veriff_mock_tui::RowQuery {
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap()
    .rows;
    rows.retain(|r| r.id == DeliveryId(4));
    source.put(detail_of_4(rows.remove(0)));
    source
}

pub fn options(color: bool) -> AppOptions {
    AppOptions {
        color,
        ..AppOptions::default()
    }
}

/// The app over the fixed run, clock at `now()`, rows read from the cache.
pub fn app_with_retries() -> App {
    let mut app = App::new(header(), Mode::Live, options(true));
    for event in run_with_retries() {
        app.apply_event(event);
    }
    app.set_now(now());
    app.refresh(None);
    app
}
