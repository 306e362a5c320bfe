//! Screen snapshots. The clock, the port and every id are fixed by `fixtures`, so nothing needs
//! filtering.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::Color;
use veriff_mock_tui::{App, Command, DetailSource, Mode, areas, render};

use crate::fixtures;

/// Lays out, reads the rows that fit (from `source` or the cache), draws; returns the terminal.
pub fn draw(
    app: &mut App,
    source: Option<&mut dyn DetailSource>,
    w: u16,
    h: u16,
) -> Terminal<TestBackend> {
    let a = areas(app, Rect::new(0, 0, w, h));
    app.set_page_size(a.table_rows());
    app.refresh(source);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| render(app, f)).unwrap();
    terminal
}

#[test]
fn empty_start() {
    let mut app = App::new(fixtures::header(), Mode::Live, fixtures::options(true));
    app.set_now(fixtures::at(0));
    let t = draw(&mut app, None, 80, 24);
    insta::assert_snapshot!("empty_start_80x24", t.backend());
}

#[test]
fn retries_in_progress() {
    let mut app = fixtures::app_with_retries();
    let t = draw(&mut app, None, 120, 32);
    insta::assert_snapshot!("retries_in_progress_120x32", t.backend());
}

#[test]
fn layout_80x24() {
    let mut app = fixtures::app_with_retries();
    let t = draw(&mut app, None, 80, 24);
    insta::assert_snapshot!("retries_in_progress_80x24", t.backend());
}

#[test]
fn large_terminal_puts_charts_beside_the_table() {
    let mut app = fixtures::app_with_retries();
    let t = draw(&mut app, None, 200, 50);
    insta::assert_snapshot!("retries_in_progress_200x50", t.backend());
}

#[test]
fn detail_pane() {
    let mut source = fixtures::source();
    let mut app = fixtures::app_with_retries();
    // Sort by latency: delivery 4 (the 5 s timeout, then 90 ms) is first... by last latency 90 ms.
    // Simpler: search for it.
    for c in "user-1004".chars() {
        app.handle(Command::SearchChar(c));
    }
    app.handle(Command::SearchSubmit);
    draw(&mut app, Some(&mut source), 100, 56);
    assert!(app.handle(Command::OpenDetail).is_none());
    let t = draw(&mut app, Some(&mut source), 100, 56);
    let text = t.backend().to_string();
    assert!(text.contains(fixtures::SIGNATURE), "signature shown");
    insta::assert_snapshot!("detail_pane_100x56", t.backend());
}

#[test]
fn filter_applied() {
    let mut app = fixtures::app_with_retries();
    app.handle(Command::CycleFilter); // failed
    let t = draw(&mut app, None, 100, 30);
    let text = t.backend().to_string();
    assert!(text.contains("filter failed"));
    assert!(
        !text.contains("user-1001"),
        "a delivered row is filtered out"
    );
    insta::assert_snapshot!("filter_failed_100x30", t.backend());
}

#[test]
fn help_overlay() {
    let mut app = fixtures::app_with_retries();
    app.handle(Command::ToggleHelp);
    let t = draw(&mut app, None, 80, 24);
    insta::assert_snapshot!("help_80x24", t.backend());
}

#[test]
fn search_prompt() {
    let mut app = fixtures::app_with_retries();
    app.handle(Command::StartSearch);
    for c in "1010".chars() {
        app.handle(Command::SearchChar(c));
    }
    let t = draw(&mut app, None, 80, 24);
    let text = t.backend().to_string();
    assert!(text.contains("/1010"));
    assert!(text.contains("user-1010"));
    assert!(!text.contains("user-1003"));
}

fn cell_fg(t: &Terminal<TestBackend>, needle: &str) -> Color {
    let buf = t.backend().buffer();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect();
        if let Some(byte) = line.find(needle) {
            let x = u16::try_from(line[..byte].chars().count()).unwrap();
            return buf[(x, y)].fg;
        }
    }
    panic!("{needle} not on screen");
}

#[test]
fn statuses_are_coloured_unless_no_color() {
    let mut app = fixtures::app_with_retries();
    let t = draw(&mut app, None, 120, 32);
    assert_eq!(cell_fg(&t, "429 "), Color::LightRed);
    assert_eq!(cell_fg(&t, "503 "), Color::Red);
    assert_eq!(cell_fg(&t, "200 "), Color::Green);

    let mut plain = App::new(fixtures::header(), Mode::Live, fixtures::options(false));
    for e in fixtures::run_with_retries() {
        plain.apply_event(e);
    }
    plain.set_now(fixtures::now());
    let t = draw(&mut plain, None, 120, 32);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "NO_COLOR: no foreground colours");
        assert_eq!(cell.bg, Color::Reset, "NO_COLOR: no background colours");
    }
}

#[test]
fn every_size_renders_without_panicking() {
    let mut source = fixtures::source();
    for (w, h) in [
        (1, 1),
        (20, 5),
        (40, 10),
        (80, 24),
        (81, 25),
        (139, 40),
        (140, 40),
        (300, 90),
    ] {
        let mut app = fixtures::app_with_retries();
        draw(&mut app, None, w, h);
        app.handle(Command::OpenDetail);
        draw(&mut app, Some(&mut source), w, h);
        app.handle(Command::ToggleHelp);
        draw(&mut app, Some(&mut source), w, h);
    }
}

#[test]
fn a_done_run_says_so_and_stops_its_clock() {
    let mut app = fixtures::app_with_retries();
    app.apply_event(veriff_mock_tui::TuiEvent::Done {
        elapsed: std::time::Duration::from_secs(30),
    });
    // The user browses the finished run for minutes.
    app.set_now(fixtures::at(600_000));
    let text = draw(&mut app, None, 120, 32).backend().to_string();
    assert!(text.contains("■ done"), "{text}");
    assert!(!text.contains("running"), "{text}");
    assert!(text.contains("elapsed 00:00:30"), "{text}");
    assert!(text.contains("press q to exit"), "{text}");
    // A resend after that is activity again.
    app.apply_event(veriff_mock_tui::TuiEvent::AttemptStarted {
        id: veriff_mock_tui::DeliveryId(5),
        attempt: 3,
        manual: true,
        at: fixtures::at(600_000),
    });
    let text = draw(&mut app, None, 120, 32).backend().to_string();
    assert!(text.contains("▶ running"), "{text}");
}

#[test]
fn a_connection_error_shows_its_detail_and_no_response() {
    use std::time::Duration;
    use veriff_mock_tui::{AttemptDetail, AttemptOutcome, DeliveryId, TuiEvent};
    let refused = || AttemptOutcome::Error("connect_refused".to_owned());
    let mut source = fixtures::source();
    let mut app = fixtures::app_with_retries();
    for e in [
        TuiEvent::Queued(fixtures::row(
            20,
            veriff_mock_contract::Kind::Event,
            "submitted",
            None,
        )),
        TuiEvent::AttemptFinished {
            id: DeliveryId(20),
            attempt: 3,
            outcome: refused(),
            latency: Duration::from_micros(244),
            manual: false,
            at: fixtures::at(41_000),
        },
    ] {
        source.push_event(e.clone());
        app.apply_event(e);
    }
    let mut detail = source.detail(DeliveryId(20)).unwrap().unwrap();
    detail.url = "http://127.0.0.1:9/webhooks".to_owned();
    detail.attempts = vec![AttemptDetail {
        number: 3,
        started_at: fixtures::at(41_000),
        outcome: Some(refused()),
        latency: Some(Duration::from_micros(244)),
        error_detail: Some("Connection refused (os error 111)".to_owned()),
        manual: false,
        response_headers: Vec::new(),
        response_body: Vec::new(),
    }];
    source.put(detail);
    for c in fixtures::session(20).chars().take(8) {
        app.handle(Command::SearchChar(c));
    }
    app.handle(Command::SearchSubmit);
    // The narrow table of an 80-column terminal.
    let text = draw(&mut app, Some(&mut source), 80, 24)
        .backend()
        .to_string();
    assert!(text.contains(" refused "), "{text}");
    assert!(!text.contains("connect_r"), "{text}");
    app.handle(Command::OpenDetail);
    let text = draw(&mut app, Some(&mut source), 100, 40)
        .backend()
        .to_string();
    assert!(text.contains("error connect_refused 244µs"), "{text}");
    assert!(text.contains("Connection refused (os error 111)"), "{text}");
    assert!(
        text.contains("no response (error connect_refused)"),
        "{text}"
    );
    assert!(!text.contains("(empty body)"), "{text}");
}

#[test]
fn at_80x24_figures_and_statuses_are_never_cut_silently() {
    use std::time::Duration;
    use veriff_mock_tui::{AttemptOutcome, DeliveryId, TuiEvent};
    let mut app = fixtures::app_with_retries();
    app.apply_event(TuiEvent::Queued(fixtures::row(
        13,
        veriff_mock_contract::Kind::Event,
        "submitted",
        Some("user-1013"),
    )));
    // 105 more attempts: 118 in all.
    for i in 0..105u64 {
        app.apply_event(TuiEvent::AttemptFinished {
            id: DeliveryId(13),
            attempt: u32::try_from(i).unwrap() + 1,
            outcome: AttemptOutcome::Status(503),
            latency: Duration::from_micros(244 + (i % 3) * 800),
            manual: false,
            at: fixtures::at(41_000),
        });
    }
    let text = draw(&mut app, None, 80, 24).backend().to_string();
    assert!(text.contains("attempts 118"), "{text}");
    // The status column holds `submitted` whole; the header's titles fit their columns.
    assert!(text.contains(" submitted "), "{text}");
    assert!(text.contains(" vendor "), "{text}");
    assert!(!text.contains("vendorDat"), "{text}");

    // Latencies from 244µs to 1.84ms: bins whose bounds are all "1ms" to the millisecond.
    let mut app = App::new(fixtures::header(), Mode::Live, fixtures::options(true));
    app.apply_event(TuiEvent::Queued(fixtures::row(
        1,
        veriff_mock_contract::Kind::Event,
        "submitted",
        None,
    )));
    for i in 0..30u64 {
        app.apply_event(TuiEvent::AttemptFinished {
            id: DeliveryId(1),
            attempt: u32::try_from(i).unwrap() + 1,
            outcome: AttemptOutcome::Status(503),
            latency: Duration::from_micros(244 + (i % 3) * 800),
            manual: false,
            at: fixtures::at(1_000),
        });
    }
    app.set_now(fixtures::now());
    let text = draw(&mut app, None, 80, 24).backend().to_string();
    let mut labels: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split('│').nth(1))
        .filter_map(|cell| cell.trim_start().strip_prefix('≤'))
        .filter_map(|rest| rest.split(' ').next())
        .collect();
    assert!(labels.len() >= 2, "{text}");
    let n = labels.len();
    labels.dedup();
    assert_eq!(labels.len(), n, "distinct latency bins: {labels:?}\n{text}");
}

/// The fixed run as `watch` sees it: from a store, told nothing about the run itself.
fn watching(writer: Option<bool>) -> App {
    let header = veriff_mock_tui::HeaderInfo {
        scenario: String::new(),
        retry_policy: String::new(),
        time_scale: None,
        ..fixtures::header()
    };
    let mut app = App::new(header, Mode::Watch, fixtures::options(true));
    for e in fixtures::run_with_retries() {
        app.apply_event(e);
    }
    app.set_now(fixtures::now());
    app.set_writer(writer);
    app
}

#[test]
fn watch_says_only_what_it_knows_and_offers_no_key_that_sends() {
    let mut app = watching(Some(true));
    let text = draw(&mut app, None, 120, 32).backend().to_string();
    assert!(text.contains("▶ writing"), "{text}");
    assert!(!text.contains("scenario"), "{text}");
    assert!(!text.contains("scale"), "{text}");
    assert!(!text.contains("  retry "), "no retry policy: {text}");
    assert!(text.contains("q quit"), "{text}");
    for key in ["r resend", "R retry all", "p pause"] {
        assert!(!text.contains(key), "{key}: {text}");
    }
    // Countdowns are in real time when the scale is not known.
    assert!(text.contains(" 0.6s "), "{text}");
    app.handle(Command::ToggleHelp);
    let text = draw(&mut app, None, 120, 32).backend().to_string();
    assert!(text.contains("search session id"), "{text}");
    assert!(!text.contains("resend selected"), "{text}");
}

#[test]
fn watch_says_when_no_run_writes_the_store_any_more() {
    let mut app = watching(Some(false));
    let text = draw(&mut app, None, 120, 32).backend().to_string();
    assert!(text.contains("■ ended"), "{text}");
    assert!(text.contains("retries wait for fire --resume"), "{text}");
    assert!(text.contains("on resume"), "{text}");
    assert!(!text.contains("due"), "{text}");
    // Much later: still nothing is due, since nothing will send it.
    app.set_now(fixtures::at(3_600_000));
    let text = draw(&mut app, None, 120, 32).backend().to_string();
    assert!(!text.contains("due"), "{text}");
}

#[test]
fn an_attempt_on_the_wire_shows_in_flight_though_the_store_still_says_queued() {
    use veriff_mock_tui::{DeliveryId, MemorySource, TuiEvent};
    // The store records an attempt when it finishes: until then it reads back as queued.
    let mut store = MemorySource::new(fixtures::header());
    let mut app = App::new(fixtures::header(), Mode::Live, fixtures::options(true));
    for id in [1, 2] {
        let queued = TuiEvent::Queued(fixtures::row(
            id,
            veriff_mock_contract::Kind::Decision,
            "approved",
            Some(&format!("user-{id}")),
        ));
        store.push_event(queued.clone());
        app.apply_event(queued);
    }
    app.apply_event(TuiEvent::AttemptStarted {
        id: DeliveryId(2),
        attempt: 1,
        manual: false,
        at: fixtures::at(1_000),
    });
    app.set_now(fixtures::at(1_000));
    let text = draw(&mut app, Some(&mut store), 80, 24)
        .backend()
        .to_string();
    let line = |user: &str| {
        text.lines()
            .find(|l| l.contains(user))
            .unwrap_or_else(|| panic!("{user}: {text}"))
            .to_owned()
    };
    let flying = line("user-2 ");
    assert!(flying.contains(" → "), "{flying}");
    assert!(
        flying.contains(" 1   … "),
        "attempt 1, awaiting its answer: {flying}"
    );
    let queued = line("user-1 ");
    assert!(queued.contains(" · "), "{queued}");
    assert!(queued.contains(" 0   — "), "{queued}");
    // The detail says so too.
    app.handle(Command::OpenDetail);
    let text = draw(&mut app, Some(&mut store), 80, 24)
        .backend()
        .to_string();
    assert!(text.contains("#2 decision approved in flight"), "{text}");
}

#[test]
fn a_small_terminal_still_shows_the_detail_or_says_to_enlarge_it() {
    let mut source = fixtures::source();
    let mut app = fixtures::app_with_retries();
    draw(&mut app, Some(&mut source), 40, 10);
    app.handle(Command::OpenDetail);
    let text = draw(&mut app, Some(&mut source), 40, 10)
        .backend()
        .to_string();
    assert!(text.contains("#12 decision review"), "{text}");
    assert!(text.contains("session "), "{text}");
    let text = draw(&mut app, Some(&mut source), 30, 5)
        .backend()
        .to_string();
    assert!(text.contains("Terminal too small"), "{text}");
}
