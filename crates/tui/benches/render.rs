//! Renders one frame with 100,000 deliveries fed into the aggregate view, at 200×50 and 80×24.

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use veriff_mock_contract::Kind;
use veriff_mock_tui::{
    App, AppOptions, AttemptOutcome, DeliveryId, DeliveryRow, HeaderInfo, Mode, TuiEvent, areas,
    render,
};

const DELIVERIES: u64 = 100_000;

fn at(start: DateTime<Utc>, ms: u64) -> DateTime<Utc> {
    start + chrono::Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX))
}

fn app() -> App {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let header = HeaderInfo {
        targets: vec!["http://127.0.0.1:8080/webhooks".to_owned()],
        scenario: "mix".to_owned(),
        retry_policy: "veriff: hourly for 7 days".to_owned(),
        time_scale: Some(3600.0),
        started_at: start,
    };
    let mut app = App::new(header, Mode::Live, AppOptions::default());
    for i in 0..DELIVERIES {
        let id = DeliveryId(i);
        let t = i * 2; // 500 deliveries a second
        let kind = Kind::ALL[usize::try_from(i % 8).unwrap_or(0)];
        app.apply_event(TuiEvent::Queued(DeliveryRow::queued(
            id,
            at(start, t),
            kind,
            kind.statuses()[0],
            format!("{i:08x}-7d1c-4a6e-9b2f-{i:012x}"),
            Some(format!("user-{i}")),
        )));
        app.apply_event(TuiEvent::AttemptStarted {
            id,
            attempt: 1,
            manual: false,
            at: at(start, t),
        });
        let outcome = match i % 20 {
            0 => AttemptOutcome::Status(503),
            1 => AttemptOutcome::Error("timeout".to_owned()),
            2 => AttemptOutcome::Status(404),
            _ => AttemptOutcome::Status(200),
        };
        let ok = outcome.is_success();
        app.apply_event(TuiEvent::AttemptFinished {
            id,
            attempt: 1,
            outcome,
            latency: Duration::from_micros(500 + (i * 7919) % 80_000),
            manual: false,
            at: at(start, t + 40),
        });
        if ok {
            app.apply_event(TuiEvent::Delivered {
                id,
                at: at(start, t + 40),
            });
        } else {
            app.apply_event(TuiEvent::RetryScheduled {
                id,
                at: at(start, t + 1_000),
            });
        }
    }
    app.set_now(at(start, DELIVERIES * 2));
    app
}

fn frame(c: &mut Criterion) {
    let mut app = app();
    for (w, h) in [(200u16, 50u16), (80, 24)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        let a = areas(&app, Rect::new(0, 0, w, h));
        app.set_page_size(a.table_rows());
        c.bench_function(&format!("draw {w}x{h}, 100k deliveries"), |b| {
            b.iter(|| {
                terminal.draw(|f| render(black_box(&app), f)).unwrap();
            });
        });
        c.bench_function(&format!("refresh + draw {w}x{h}, 100k deliveries"), |b| {
            b.iter(|| {
                app.invalidate();
                app.refresh(None);
                terminal.draw(|f| render(black_box(&app), f)).unwrap();
            });
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3));
    targets = frame
}
criterion_main!(benches);
