//! The loops on a `TestBackend`, with scripted keys (no real terminal, no sleeping: the script
//! answers at once).

use std::collections::VecDeque;
use std::io;
use std::sync::mpsc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use veriff_mock_tui::{
    ControlCommand, DeliveryId, InputSource, LoopOptions, TuiEvent, run_live, run_watch, ui_channel,
};

use crate::fixtures;

/// Scripted input: `None` lets a frame pass; after the script, `q`.
struct Script(VecDeque<Option<Event>>);

impl Script {
    fn keys(keys: &[Option<KeyCode>]) -> Self {
        Self(
            keys.iter()
                .map(|k| k.map(|code| Event::Key(KeyEvent::new(code, KeyModifiers::NONE))))
                .collect(),
        )
    }
}

impl InputSource for Script {
    fn next_event(&mut self, _timeout: Duration) -> io::Result<Option<Event>> {
        Ok(self.0.pop_front().unwrap_or(Some(Event::Key(KeyEvent::new(
            KeyCode::Char('q'),
            KeyModifiers::NONE,
        )))))
    }
}

fn fast() -> LoopOptions {
    LoopOptions {
        fps: 1000,
        refresh: Duration::ZERO,
        ..LoopOptions::default()
    }
}

#[test]
fn live_keys_become_control_commands_and_quit_stops_the_run() {
    let (tx, rx) = ui_channel(1024);
    for e in fixtures::run_with_retries() {
        assert!(tx.offer(e));
    }
    let (mut control, commands) = mpsc::channel();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut input = Script::keys(&[
        None,
        Some(KeyCode::Char('p')),
        Some(KeyCode::Down),
        Some(KeyCode::Char('r')),
        Some(KeyCode::Char('R')),
        Some(KeyCode::Char('x')),
        Some(KeyCode::Char('q')),
    ]);
    let summary = run_live(
        &mut terminal,
        &mut input,
        fixtures::header(),
        &rx,
        &mut control,
        None,
        &fast(),
    )
    .unwrap();
    let sent: Vec<_> = commands.try_iter().collect();
    assert_eq!(
        sent,
        vec![
            ControlCommand::Pause,
            ControlCommand::Resend(DeliveryId(11)),
            ControlCommand::RetryAllFailed,
            ControlCommand::Stop
        ]
    );
    assert_eq!(summary.counts.total(), 12);
    assert_eq!(summary.counts.delivered, 4);
    assert_eq!(summary.attempts, 13);
    assert!(!summary.finished);
    assert!(
        summary
            .to_string()
            .starts_with("12 deliveries: 4 delivered, 1 exhausted")
    );
    assert!(
        terminal
            .backend()
            .to_string()
            .contains("retrying every failed delivery now")
    );
}

#[test]
fn ctrl_c_quits() {
    let (_tx, rx) = ui_channel(8);
    let (mut control, commands) = mpsc::channel();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut input = Script(VecDeque::from([Some(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )))]));
    run_live(
        &mut terminal,
        &mut input,
        fixtures::header(),
        &rx,
        &mut control,
        None,
        &fast(),
    )
    .unwrap();
    assert_eq!(commands.try_recv(), Ok(ControlCommand::Stop));
}

#[test]
fn close_ui_ends_the_loop_without_a_key() {
    let (tx, rx) = ui_channel(8);
    tx.offer(TuiEvent::Finished);
    tx.close_ui();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    // A script that never quits: only close_ui can end this loop.
    struct Never;
    impl InputSource for Never {
        fn next_event(&mut self, _t: Duration) -> io::Result<Option<Event>> {
            Ok(None)
        }
    }
    let (mut control, _commands) = mpsc::channel();
    let summary = run_live(
        &mut terminal,
        &mut Never,
        fixtures::header(),
        &rx,
        &mut control,
        None,
        &fast(),
    )
    .unwrap();
    assert!(summary.finished);
}

#[test]
fn a_slow_ui_never_blocks_the_producer() {
    // Nobody drains: the producer keeps offering and is never made to wait.
    let (tx, rx) = ui_channel(16);
    let offered = 10_000;
    let accepted = (0..offered)
        .filter(|_| tx.offer(TuiEvent::Finished))
        .count();
    assert_eq!(accepted, 16);
    assert_eq!(rx.dropped(), offered - 16);
    // The UI shows how many updates it missed.
    let mut terminal = Terminal::new(TestBackend::new(100, 24)).unwrap();
    let (mut control, _c) = mpsc::channel();
    let summary = run_live(
        &mut terminal,
        &mut Script::keys(&[None]),
        fixtures::header(),
        &rx,
        &mut control,
        None,
        &fast(),
    )
    .unwrap();
    assert_eq!(summary.dropped_updates, 9_984);
}

#[test]
fn events_offered_from_another_thread_reach_the_ui() {
    let (tx, rx) = ui_channel(1024);
    let producer = std::thread::spawn(move || {
        for e in fixtures::run_with_retries() {
            tx.offer(e);
        }
    });
    producer.join().unwrap();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (mut control, _c) = mpsc::channel();
    let summary = run_live(
        &mut terminal,
        &mut Script::keys(&[None, None]),
        fixtures::header(),
        &rx,
        &mut control,
        None,
        &fast(),
    )
    .unwrap();
    assert_eq!(summary.counts.total(), 12);
}

#[test]
fn watch_replays_the_store_in_batches_and_is_read_only() {
    let mut source = fixtures::source();
    let mut terminal = Terminal::new(TestBackend::new(120, 32)).unwrap();
    let options = LoopOptions {
        events_per_frame: 7,
        ..fast()
    };
    // Enough idle frames for 53 events at 7 a frame, then `r` (refused), then quit.
    let mut keys = vec![None; 10];
    keys.push(Some(KeyCode::Char('r')));
    let summary = run_watch(
        &mut terminal,
        &mut Script::keys(&keys),
        &mut source,
        &options,
    )
    .unwrap();
    assert_eq!(summary.counts.total(), 12);
    assert_eq!(summary.counts.retrying, 3);
    assert_eq!(summary.attempts, 13);
    let screen = terminal.backend().to_string();
    assert!(screen.contains("read-only"), "{screen}");
    assert!(screen.contains("watch"));
}

#[test]
fn live_with_a_store_opens_the_detail_and_exports_curl() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = ui_channel(1024);
    for e in fixtures::run_with_retries() {
        tx.offer(e);
    }
    let mut source = fixtures::source();
    let (mut control, _commands) = mpsc::channel();
    let mut terminal = Terminal::new(TestBackend::new(100, 40)).unwrap();
    let options = LoopOptions {
        app: veriff_mock_tui::AppOptions {
            curl_dir: dir.path().to_path_buf(),
            ..fixtures::options(true)
        },
        ..fast()
    };
    // Newest first, so three rows down is delivery 9; Enter opens it, `c` exports it.
    let mut input = Script::keys(&[
        None,
        Some(KeyCode::Char('j')),
        Some(KeyCode::Char('j')),
        Some(KeyCode::Char('j')),
        Some(KeyCode::Enter),
        None,
        Some(KeyCode::Char('c')),
        None,
    ]);
    run_live(
        &mut terminal,
        &mut input,
        fixtures::header(),
        &rx,
        &mut control,
        Some(&mut source),
        &options,
    )
    .unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("Delivery #9"), "{screen}");
    assert!(screen.contains("curl written to"), "{screen}");
    assert!(dir.path().join("delivery-9.sh").is_file());
    assert!(dir.path().join("delivery-9.body.json").is_file());
}

/// A store source whose counts lag, as a store source's reused counts do: reads within the first
/// second say one delivery in all, later reads say twelve.
struct LaggingCounts {
    inner: veriff_mock_tui::MemorySource,
    since: std::time::Instant,
}

impl veriff_mock_tui::DetailSource for LaggingCounts {
    fn rows(
        &mut self,
        query: &veriff_mock_tui::RowQuery,
    ) -> Result<veriff_mock_tui::RowPage, veriff_mock_tui::SourceError> {
        let mut page = self.inner.rows(query)?;
        if self.since.elapsed() < Duration::from_secs(1) {
            page.total = 1;
            page.rows.truncate(1);
        }
        Ok(page)
    }

    fn detail(
        &mut self,
        id: DeliveryId,
    ) -> Result<Option<veriff_mock_tui::DeliveryDetail>, veriff_mock_tui::SourceError> {
        self.inner.detail(id)
    }
}

/// Lets frames pass in real time until `until`, then quits.
struct IdleUntil(std::time::Instant);

impl InputSource for IdleUntil {
    fn next_event(&mut self, timeout: Duration) -> io::Result<Option<Event>> {
        if std::time::Instant::now() >= self.0 {
            return Ok(Some(Event::Key(KeyEvent::new(
                KeyCode::Char('q'),
                KeyModifiers::NONE,
            ))));
        }
        std::thread::sleep(timeout);
        Ok(None)
    }
}

#[test]
fn the_table_catches_up_with_the_store_after_the_last_event() {
    let (tx, rx) = ui_channel(1024);
    for e in fixtures::run_with_retries() {
        tx.offer(e);
    }
    let now = std::time::Instant::now();
    let mut source = LaggingCounts {
        inner: fixtures::source(),
        since: now,
    };
    let (mut control, _commands) = mpsc::channel();
    let mut terminal = Terminal::new(TestBackend::new(100, 40)).unwrap();
    let options = LoopOptions {
        fps: 50,
        refresh: Duration::from_millis(100),
        ..LoopOptions::default()
    };
    // Every event arrives in the first frame; nothing new comes after that.
    run_live(
        &mut terminal,
        &mut IdleUntil(now + Duration::from_secs(3)),
        fixtures::header(),
        &rx,
        &mut control,
        Some(&mut source),
        &options,
    )
    .unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("of 12"), "{screen}");
}
