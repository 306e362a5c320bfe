//! The event loop (generic over the ratatui `Backend`), the terminal guard and the panic hook.

use std::fmt;
use std::io::{self, Stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::crossterm::event::{self, Event};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};
use ratatui::layout::Rect;

use crate::aggregate::Counts;
use crate::app::{App, AppOptions, Mode};
use crate::channel::{ControlSink, Drained, NoControl, UiReceiver};
use crate::keys::map_key;
use crate::model::HeaderInfo;
use crate::source::{DetailSource, WatchSource};
use crate::ui;

/// Why the UI stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// Drawing to the terminal failed.
    #[error("drawing the terminal UI: {0}")]
    Backend(String),
    /// Reading keys failed.
    #[error("reading keys: {0}")]
    Input(#[source] io::Error),
    /// Setting the terminal up failed.
    #[error("setting up the terminal: {0}")]
    Terminal(#[source] io::Error),
    /// The watched store could not be read at start.
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
}

/// Where key presses and resizes come from.
pub trait InputSource {
    /// Waits at most `timeout` for the next terminal event.
    ///
    /// # Errors
    /// When the terminal cannot be read.
    fn next_event(&mut self, timeout: Duration) -> io::Result<Option<Event>>;
}

/// Reads the real terminal through crossterm.
#[derive(Debug, Default, Clone, Copy)]
pub struct CrosstermInput;

impl InputSource for CrosstermInput {
    fn next_event(&mut self, timeout: Duration) -> io::Result<Option<Event>> {
        if event::poll(timeout)? {
            event::read().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// How the loop paces itself.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopOptions {
    /// What the state needs (colour, curl folder, cache size).
    pub app: AppOptions,
    /// Frames per second (at least 1).
    pub fps: u32,
    /// How often the table is re-read from the store while events arrive (live), and how often
    /// the store is polled for changes (watch).
    pub refresh: Duration,
    /// Most events taken in per frame; the rest wait for the next frame.
    pub events_per_frame: usize,
}

impl Default for LoopOptions {
    fn default() -> Self {
        Self {
            app: AppOptions::default(),
            fps: 30,
            refresh: Duration::from_millis(500),
            events_per_frame: 50_000,
        }
    }
}

impl LoopOptions {
    /// Defaults, honouring `NO_COLOR`.
    #[must_use]
    pub fn from_env() -> Self {
        Self {
            app: AppOptions::from_env(),
            ..Self::default()
        }
    }
}

/// What the run looked like when the UI closed; print it after the terminal is restored.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Deliveries per phase.
    pub counts: Counts,
    /// Attempts finished.
    pub attempts: u64,
    /// Attempts a person asked for.
    pub manual_attempts: u64,
    /// Median latency.
    pub p50: Option<Duration>,
    /// 99th percentile latency.
    pub p99: Option<Duration>,
    /// True when the run had finished before the UI closed.
    pub finished: bool,
    /// UI updates dropped because the UI was behind (the store has them all).
    pub dropped_updates: u64,
}

impl RunSummary {
    fn of(app: &App) -> Self {
        let agg = app.aggregate();
        Self {
            counts: agg.counts(),
            attempts: agg.attempts(),
            manual_attempts: agg.manual_attempts(),
            p50: agg.latency().percentile(0.5),
            p99: agg.latency().percentile(0.99),
            finished: agg.is_finished(),
            dropped_updates: app.dropped(),
        }
    }
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        write!(
            f,
            "{} deliveries: {} delivered, {} exhausted, {} expected rejections, {} retrying, {} queued, {} in flight; {} attempts ({} manual)",
            c.total(),
            c.delivered,
            c.exhausted,
            c.expected_rejections,
            c.retrying,
            c.queued,
            c.in_flight,
            self.attempts,
            self.manual_attempts
        )?;
        if c.unexpected > 0 {
            write!(f, "; {} accepted a tampered payload", c.unexpected)?;
        }
        if let (Some(p50), Some(p99)) = (self.p50, self.p99) {
            write!(
                f,
                "; latency p50 {} p99 {}",
                ui::fmt_latency(p50),
                ui::fmt_latency(p99)
            )?;
        }
        Ok(())
    }
}

enum Feed<'a> {
    Live(&'a UiReceiver),
    Watch {
        source: &'a mut dyn WatchSource,
        cursor: u64,
        last_poll: Option<Instant>,
        /// Set from outside (a signal) to end the UI as `q` does.
        close: Option<&'a AtomicBool>,
    },
}

/// Runs the UI over a live run until `q`/Ctrl-C (or [`crate::UiSender::close_ui`]).
///
/// Takes events from `events` at its own pace (up to `events_per_frame` a frame), sends commands to
/// `control` without waiting, reads rows and details from `source` on demand (without a source,
/// the table shows the row cache and the detail pane and curl export are unavailable). On quit it
/// sends [`crate::ControlCommand::Stop`] and returns; the caller restores the terminal (drop the
/// [`TerminalGuard`]), waits for the dispatcher to flush the store and prints the summary.
///
/// Blocking: run it on its own thread (`std::thread::spawn` or `spawn_blocking`).
///
/// # Errors
/// [`TuiError`] when drawing or reading keys fails.
pub fn run_live<B: Backend>(
    terminal: &mut Terminal<B>,
    input: &mut dyn InputSource,
    header: HeaderInfo,
    events: &UiReceiver,
    control: &mut dyn ControlSink,
    source: Option<&mut dyn DetailSource>,
    options: &LoopOptions,
) -> Result<RunSummary, TuiError> {
    let mut app = App::new(header, Mode::Live, options.app.clone());
    event_loop(
        terminal,
        input,
        &mut app,
        Feed::Live(events),
        control,
        source,
        options,
    )
}

/// Runs the UI over a store (a past run, or one another process is writing), polling it for
/// changes every `options.refresh`, until `q`/Ctrl-C. Read-only: `r`, `R` and `p` are not
/// offered (and say so when pressed). Whether a process still writes the store is asked of the
/// source at each poll, and shown.
///
/// # Errors
/// [`TuiError`] when drawing, reading keys or reading the store's header fails.
pub fn run_watch<B: Backend>(
    terminal: &mut Terminal<B>,
    input: &mut dyn InputSource,
    source: &mut dyn WatchSource,
    options: &LoopOptions,
) -> Result<RunSummary, TuiError> {
    run_watch_until(terminal, input, source, options, None)
}

/// [`run_watch`] that also ends, as `q` does, once `close` is set (by a signal handler, say).
///
/// # Errors
/// As [`run_watch`].
pub fn run_watch_until<B: Backend>(
    terminal: &mut Terminal<B>,
    input: &mut dyn InputSource,
    source: &mut dyn WatchSource,
    options: &LoopOptions,
    close: Option<&AtomicBool>,
) -> Result<RunSummary, TuiError> {
    let header = source.header()?;
    let mut app = App::new(header, Mode::Watch, options.app.clone());
    event_loop(
        terminal,
        input,
        &mut app,
        Feed::Watch {
            source,
            cursor: 0,
            last_poll: None,
            close,
        },
        &mut NoControl,
        None,
        options,
    )
}

/// Reborrows an optional source for a shorter time (an `Option` does not coerce by itself).
fn reborrow<'b>(source: &'b mut Option<&mut dyn DetailSource>) -> Option<&'b mut dyn DetailSource> {
    match source {
        Some(s) => Some(&mut **s),
        None => None,
    }
}

fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &App) -> Result<(), TuiError> {
    terminal
        .draw(|frame| ui::render(app, frame))
        .map(|_| ())
        .map_err(|e| TuiError::Backend(e.to_string()))
}

fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    input: &mut dyn InputSource,
    app: &mut App,
    mut feed: Feed<'_>,
    control: &mut dyn ControlSink,
    mut live_source: Option<&mut dyn DetailSource>,
    options: &LoopOptions,
) -> Result<RunSummary, TuiError> {
    let frame = Duration::from_secs(1) / options.fps.max(1);
    let mut last_refresh: Option<Instant> = None;
    let mut last_read = Duration::ZERO;
    let mut stale = false;
    // A store source reuses its counts for a while: after the last change, the table is read
    // again until a read comes after that reuse ran out, so it never rests on old counts.
    let settle = crate::adapter::COUNTS_TTL + options.refresh;
    let mut unsettled_until: Option<Instant> = None;
    loop {
        let frame_start = Instant::now();
        // 1. Take in what happened since the last frame, within budget.
        match &mut feed {
            Feed::Live(rx) => {
                let mut got = false;
                // A disconnected channel just means the run is over; the UI stays until `q`.
                let _: Drained = rx.drain(options.events_per_frame, |e| {
                    got = true;
                    app.apply_event(e);
                });
                stale |= got;
                app.set_dropped(rx.dropped());
                if rx.close_requested() {
                    return Ok(RunSummary::of(app));
                }
            }
            Feed::Watch {
                source,
                cursor,
                last_poll,
                close,
            } => {
                if close.is_some_and(|c| c.load(Ordering::Relaxed)) {
                    return Ok(RunSummary::of(app));
                }
                if last_poll.is_none_or(|t| t.elapsed() >= options.refresh) {
                    *last_poll = Some(Instant::now());
                    app.set_writer(source.writer());
                    let mut budget = options.events_per_frame;
                    while budget > 0 {
                        match source.poll(*cursor, budget) {
                            Ok(batch) => {
                                if batch.events.is_empty() {
                                    break;
                                }
                                budget = budget.saturating_sub(batch.events.len());
                                *cursor = batch.cursor;
                                for e in batch.events {
                                    app.apply_event(e);
                                }
                                stale = true;
                            }
                            Err(e) => {
                                app.set_status(e.to_string());
                                break;
                            }
                        }
                    }
                    if budget == 0 {
                        // More is waiting: come back next frame.
                        *last_poll = None;
                    }
                }
            }
        }
        app.set_now(DateTime::<Utc>::from(std::time::SystemTime::now()));

        if stale {
            unsettled_until = Some(Instant::now() + settle);
        }

        // 2. Lay out, then re-read the rows in view when needed.
        let size = terminal
            .size()
            .map_err(|e| TuiError::Backend(e.to_string()))?;
        let areas = ui::areas(app, Rect::new(0, 0, size.width, size.height));
        app.set_page_size(areas.table_rows());
        // Reads that take long are spaced out so they never take more than a tenth of the time,
        // but one slow read (the store busy for a moment) does not freeze the table for long.
        let interval = options
            .refresh
            .max((last_read * 10).min(Duration::from_secs(2).max(last_read * 2)));
        let due = last_refresh.is_none_or(|t| t.elapsed() >= interval);
        let has_source = live_source.is_some() || matches!(feed, Feed::Watch { .. });
        let settling = unsettled_until.is_some_and(|u| last_refresh.is_none_or(|r| r < u));
        if app.needs_refresh() || ((stale || settling) && (due || !has_source)) {
            let started = Instant::now();
            match &mut feed {
                Feed::Watch { source, .. } => {
                    let details: &mut dyn DetailSource = &mut **source;
                    app.refresh(Some(details));
                }
                Feed::Live(_) => app.refresh(reborrow(&mut live_source)),
            }
            last_refresh = Some(Instant::now());
            last_read = started.elapsed();
            stale = false;
            if unsettled_until.is_some_and(|u| started >= u) {
                unsettled_until = None;
            }
        }

        // 3. Draw.
        draw(terminal, app)?;

        // 4. Keys until the next frame is due.
        loop {
            let left = frame.saturating_sub(frame_start.elapsed());
            let Some(ev) = input.next_event(left).map_err(TuiError::Input)? else {
                break;
            };
            let Event::Key(key) = ev else {
                // Resizes are picked up by the next draw.
                break;
            };
            let Some(command) = map_key(key, app.input_mode()) else {
                continue;
            };
            if let Some(effect) = app.handle(command) {
                let quit = match &mut feed {
                    Feed::Watch { source, .. } => {
                        let details: &mut dyn DetailSource = &mut **source;
                        app.perform(effect, control, Some(details))
                    }
                    Feed::Live(_) => app.perform(effect, control, reborrow(&mut live_source)),
                };
                if quit {
                    return Ok(RunSummary::of(app));
                }
            }
            // Redraw promptly after a key.
            break;
        }
    }
}

/// Restores the terminal: leaves raw mode and the alternate screen, shows the cursor.
///
/// # Errors
/// When the terminal cannot be written.
pub fn restore_terminal() -> io::Result<()> {
    let raw = disable_raw_mode();
    let screen = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
    raw.and(screen)
}

/// Installs (once per process) a panic hook that restores the terminal before the previous hook
/// prints the panic.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = restore_terminal();
            previous(info);
        }));
    });
}

/// The real terminal, set up for the UI; restored when dropped (also on panic, through
/// [`install_panic_hook`], which [`TerminalGuard::enter`] installs).
#[derive(Debug)]
pub struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen.
    ///
    /// # Errors
    /// [`TuiError::Terminal`] when stdout is not a terminal that can be set up.
    pub fn enter() -> Result<Self, TuiError> {
        install_panic_hook();
        enable_raw_mode().map_err(TuiError::Terminal)?;
        if let Err(e) = execute!(io::stdout(), EnterAlternateScreen, cursor::Hide) {
            let _ = restore_terminal();
            return Err(TuiError::Terminal(e));
        }
        match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(terminal) => Ok(Self { terminal }),
            Err(e) => {
                let _ = restore_terminal();
                Err(TuiError::Terminal(e))
            }
        }
    }

    /// The terminal to draw on.
    pub fn terminal(&mut self) -> &mut Terminal<CrosstermBackend<Stdout>> {
        &mut self.terminal
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = restore_terminal();
    }
}

/// [`run_live`] on the real terminal: sets it up, runs, restores it (also on error or panic).
///
/// # Errors
/// [`TuiError`] when the terminal cannot be set up, drawn or read.
pub fn run_live_in_terminal(
    header: HeaderInfo,
    events: &UiReceiver,
    control: &mut dyn ControlSink,
    source: Option<&mut dyn DetailSource>,
    options: &LoopOptions,
) -> Result<RunSummary, TuiError> {
    let mut guard = TerminalGuard::enter()?;
    let result = run_live(
        guard.terminal(),
        &mut CrosstermInput,
        header,
        events,
        control,
        source,
        options,
    );
    drop(guard);
    result
}

/// [`run_watch`] on the real terminal: sets it up, runs, restores it (also on error or panic).
///
/// # Errors
/// [`TuiError`] when the terminal cannot be set up, drawn or read, or the store's header cannot
/// be read.
pub fn run_watch_in_terminal(
    source: &mut dyn WatchSource,
    options: &LoopOptions,
    close: Option<&AtomicBool>,
) -> Result<RunSummary, TuiError> {
    let mut guard = TerminalGuard::enter()?;
    let result = run_watch_until(
        guard.terminal(),
        &mut CrosstermInput,
        source,
        options,
        close,
    );
    drop(guard);
    result
}
