//! The UI's state: the aggregate, the table's window, what is open. Rendering reads it; commands
//! and events change it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use veriff_mock_contract::Kind;

use crate::aggregate::{Aggregate, DEFAULT_ROW_CACHE};
use crate::channel::ControlSink;
use crate::curl::export_curl;
use crate::keys::{Command, InputMode};
use crate::model::{
    ControlCommand, DeliveryDetail, DeliveryId, DeliveryRow, HeaderInfo, Phase, TuiEvent,
};
use crate::source::{DetailSource, Filter, RowPage, RowQuery, SortKey};

/// Live (driving a run) or watching a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The UI drives a run: commands reach the dispatcher.
    Live,
    /// The UI watches a store, read-only.
    Watch,
}

/// Settings that do not change while the UI runs.
#[derive(Debug, Clone, PartialEq)]
pub struct AppOptions {
    /// Use colours (off when `NO_COLOR` is set).
    pub color: bool,
    /// Where `c` writes curl exports.
    pub curl_dir: PathBuf,
    /// Size of the in-memory row cache.
    pub row_cache: usize,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            color: true,
            curl_dir: PathBuf::from("veriff-mock-curl"),
            row_cache: DEFAULT_ROW_CACHE,
        }
    }
}

impl AppOptions {
    /// Defaults, with colour off when the `NO_COLOR` environment variable is set and not empty.
    #[must_use]
    pub fn from_env() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            ..Self::default()
        }
    }
}

/// The open detail pane.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailView {
    /// Which delivery.
    pub id: DeliveryId,
    /// What was read; `None` when the store has nothing (or there is no store).
    pub detail: Option<DeliveryDetail>,
    /// Lines scrolled down.
    pub scroll: u16,
}

/// Something a command asks of the world outside the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Send this to the dispatcher.
    Control(ControlCommand),
    /// Export this delivery as curl.
    ExportCurl(DeliveryId),
    /// Close the UI.
    Quit,
}

/// The whole UI state. Rendering is a pure function of it (`impl Widget for &App`).
#[derive(Debug, Clone)]
pub struct App {
    header: HeaderInfo,
    mode: Mode,
    options: AppOptions,
    aggregate: Aggregate,
    now: DateTime<Utc>,
    filter: Filter,
    sort: SortKey,
    search: String,
    input: InputMode,
    previous_input: InputMode,
    page: RowPage,
    offset: usize,
    selected: usize,
    page_size: usize,
    dirty: bool,
    detail: Option<DetailView>,
    status: Option<String>,
    dropped: u64,
    writer: Option<bool>,
}

impl App {
    /// A new UI over a run described by `header`.
    #[must_use]
    pub fn new(header: HeaderInfo, mode: Mode, options: AppOptions) -> Self {
        let now = header.started_at;
        Self {
            header,
            mode,
            aggregate: Aggregate::new(options.row_cache),
            options,
            now,
            filter: Filter::All,
            sort: SortKey::Newest,
            search: String::new(),
            input: InputMode::Normal,
            previous_input: InputMode::Normal,
            page: RowPage::default(),
            offset: 0,
            selected: 0,
            page_size: 20,
            dirty: true,
            detail: None,
            status: None,
            dropped: 0,
            writer: None,
        }
    }

    /// Takes an event into the aggregate. The table is not re-read until [`App::refresh`] (the
    /// loop does that at most every refresh interval while events keep coming).
    pub fn apply_event(&mut self, event: TuiEvent) {
        if let TuiEvent::Notice(message) = &event {
            self.status = Some(message.clone());
        }
        self.aggregate.apply(event);
    }

    /// Sets the clock the screen reads (elapsed time, countdowns).
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = now;
    }

    /// Replaces the header (watch mode reads it from the store).
    pub fn set_header(&mut self, header: HeaderInfo) {
        self.header = header;
    }

    /// Records whether a process is writing the watched store (`None`: cannot tell).
    pub fn set_writer(&mut self, writer: Option<bool>) {
        self.writer = writer;
    }

    /// Whether a process is writing the watched store, as last seen (`None`: cannot tell, or
    /// live mode).
    #[must_use]
    pub fn writer(&self) -> Option<bool> {
        self.writer
    }

    /// Records how many UI updates the channel dropped.
    pub fn set_dropped(&mut self, dropped: u64) {
        self.dropped = dropped;
    }

    /// Tells the state how many table rows fit on screen.
    pub fn set_page_size(&mut self, rows: usize) {
        let rows = rows.max(1);
        if rows != self.page_size {
            self.page_size = rows;
            self.dirty = true;
        }
    }

    /// Shows a message in the footer.
    pub fn set_status(&mut self, message: impl Into<String>) {
        self.status = Some(message.into());
    }

    /// True when the table should be read again.
    #[must_use]
    pub fn needs_refresh(&self) -> bool {
        self.dirty
    }

    /// Marks the table stale (the store changed, say).
    pub fn invalidate(&mut self) {
        self.dirty = true;
    }

    /// The query that reads the rows in view.
    #[must_use]
    pub fn query(&self) -> RowQuery {
        RowQuery {
            filter: self.filter,
            search: self.search.clone(),
            sort: self.sort,
            offset: self.offset,
            limit: self.page_size,
        }
    }

    /// Reads the rows in view (and the open detail) from `source`, or from the row cache when
    /// there is no source. A read error is shown in the footer; the old rows stay.
    pub fn refresh(&mut self, mut source: Option<&mut dyn DetailSource>) {
        self.clamp_window();
        let query = self.query();
        let page = match source.as_deref_mut() {
            Some(source) => match source.rows(&query) {
                Ok(page) => self.with_live_state(page),
                Err(e) => {
                    // Keep the old rows; try again at the next refresh.
                    self.status = Some(e.to_string());
                    self.dirty = false;
                    return;
                }
            },
            None => query.run(self.aggregate.rows().iter()),
        };
        self.page = page;
        self.dirty = false;
        // The total may have shrunk (a filter applied); put the selection back in range.
        let before = (self.offset, self.selected);
        self.clamp_window();
        if before != (self.offset, self.selected) {
            let query = self.query();
            self.page = match source.as_deref_mut() {
                Some(source) => {
                    let page = source.rows(&query).unwrap_or_default();
                    self.with_live_state(page)
                }
                None => query.run(self.aggregate.rows().iter()),
            };
        }
        self.reload_detail(source);
    }

    /// What the store cannot know yet, from what the UI was told: the last latency (stores may
    /// not keep it on the row), and an attempt on the wire (the store records an attempt when
    /// it finishes, so until then a first attempt reads back as queued).
    fn with_live_state(&self, mut page: RowPage) -> RowPage {
        for row in &mut page.rows {
            self.mark_in_flight(row);
            if row.last_latency.is_none() {
                row.last_latency = self
                    .aggregate
                    .rows()
                    .get(row.id)
                    .and_then(|cached| cached.last_latency);
            }
        }
        page
    }

    /// A row the store reads as queued or retrying while the UI knows a later attempt is on the
    /// wire: in flight, with that attempt's number.
    fn mark_in_flight(&self, row: &mut DeliveryRow) {
        if let Some(attempt) = self.aggregate.in_flight_attempt(row.id)
            && attempt > row.attempts
            && !row.phase.is_final()
        {
            row.phase = Phase::InFlight;
            row.attempts = attempt;
            row.next_retry_at = None;
        }
    }

    fn reload_detail(&mut self, source: Option<&mut dyn DetailSource>) {
        let Some(id) = self.selected_id() else {
            if let Some(view) = &mut self.detail {
                view.detail = None;
            }
            return;
        };
        let Some(view) = &mut self.detail else {
            return;
        };
        if view.id != id {
            view.id = id;
            view.scroll = 0;
        }
        let mut detail = match source {
            Some(source) => match source.detail(id) {
                Ok(detail) => detail,
                Err(e) => {
                    self.status = Some(e.to_string());
                    view.detail.take()
                }
            },
            None => None,
        };
        if let Some(d) = &mut detail {
            self.mark_in_flight(&mut d.row);
        }
        if let Some(view) = &mut self.detail {
            view.detail = detail;
        }
    }

    fn clamp_window(&mut self) {
        let total = self.page.total;
        self.selected = if total == 0 {
            0
        } else {
            self.selected.min(total - 1)
        };
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + self.page_size {
            self.offset = self.selected + 1 - self.page_size;
        }
    }

    fn move_to(&mut self, index: usize) {
        let last = self.page.total.saturating_sub(1);
        let index = index.min(last);
        if index != self.selected {
            self.selected = index;
            self.dirty = true;
        }
        let offset = self.offset;
        self.clamp_window();
        if offset != self.offset {
            self.dirty = true;
        }
        // Moving within the page: the detail still needs to follow.
        if self.detail.is_some() {
            self.dirty = true;
        }
    }

    /// Applies a command; returns what must happen outside the state, if anything.
    pub fn handle(&mut self, command: Command) -> Option<Effect> {
        match command {
            Command::Up => self.move_to(self.selected.saturating_sub(1)),
            Command::Down => self.move_to(self.selected.saturating_add(1)),
            Command::PageUp => self.move_to(self.selected.saturating_sub(self.page_size)),
            Command::PageDown => self.move_to(self.selected.saturating_add(self.page_size)),
            Command::Home => self.move_to(0),
            Command::End => self.move_to(usize::MAX),
            Command::OpenDetail => {
                if let Some(id) = self.selected_id() {
                    self.detail = Some(DetailView {
                        id,
                        detail: None,
                        scroll: 0,
                    });
                    self.input = InputMode::Detail;
                    self.dirty = true;
                }
            }
            Command::Close => match self.input {
                InputMode::Search => {
                    self.search.clear();
                    self.input = self.previous_input;
                    self.reset_selection();
                }
                InputMode::Detail => {
                    self.detail = None;
                    self.input = InputMode::Normal;
                }
                InputMode::Help => self.input = self.previous_input,
                InputMode::Normal => self.status = None,
            },
            Command::ScrollDetailUp => {
                if let Some(view) = &mut self.detail {
                    view.scroll = view.scroll.saturating_sub(10);
                }
            }
            Command::ScrollDetailDown => {
                if let Some(view) = &mut self.detail {
                    view.scroll = view.scroll.saturating_add(10);
                }
            }
            Command::ResendSelected => {
                return self
                    .selected_id()
                    .map(|id| Effect::Control(ControlCommand::Resend(id)));
            }
            Command::RetryAllFailed => {
                return Some(Effect::Control(ControlCommand::RetryAllFailed));
            }
            Command::TogglePause => {
                return Some(Effect::Control(if self.aggregate.is_paused() {
                    ControlCommand::Resume
                } else {
                    ControlCommand::Pause
                }));
            }
            Command::CycleFilter => {
                let kinds: Vec<Kind> = self.aggregate.kinds().keys().copied().collect();
                self.filter = self.filter.next(&kinds);
                self.reset_selection();
            }
            Command::CycleSort => {
                self.sort = self.sort.next();
                self.reset_selection();
            }
            Command::StartSearch => {
                if self.input != InputMode::Search {
                    self.previous_input = self.input;
                }
                self.input = InputMode::Search;
            }
            Command::SearchChar(c) => {
                self.search.push(c);
                self.reset_selection();
            }
            Command::SearchBackspace => {
                self.search.pop();
                self.reset_selection();
            }
            Command::SearchSubmit => self.input = self.previous_input,
            Command::ExportCurl => return self.selected_id().map(Effect::ExportCurl),
            Command::ToggleHelp => {
                if self.input == InputMode::Help {
                    self.input = self.previous_input;
                } else {
                    self.previous_input = self.input;
                    self.input = InputMode::Help;
                }
            }
            Command::Quit => return Some(Effect::Quit),
        }
        None
    }

    fn reset_selection(&mut self) {
        self.selected = 0;
        self.offset = 0;
        self.dirty = true;
    }

    /// Carries out an effect: sends control commands, writes curl exports. Returns `true` to quit.
    pub fn perform(
        &mut self,
        effect: Effect,
        control: &mut dyn ControlSink,
        source: Option<&mut dyn DetailSource>,
    ) -> bool {
        match effect {
            Effect::Quit => {
                if self.mode == Mode::Live {
                    // Best effort: the dispatcher may already be done.
                    let _ = control.send_command(ControlCommand::Stop);
                }
                return true;
            }
            Effect::Control(command) => {
                if self.mode == Mode::Watch {
                    self.status = Some(
                        "watch is read-only: use `veriff-mock resend ID` to resend".to_owned(),
                    );
                    return false;
                }
                match control.send_command(command) {
                    Ok(()) => {
                        self.status = Some(match command {
                            ControlCommand::Pause => "dispatch paused".to_owned(),
                            ControlCommand::Resume => "dispatch resumed".to_owned(),
                            ControlCommand::Resend(id) => format!("resending #{id} now (manual)"),
                            ControlCommand::RetryAllFailed => {
                                "retrying every failed delivery now".to_owned()
                            }
                            ControlCommand::Stop => "stopping".to_owned(),
                        });
                        match command {
                            ControlCommand::Pause => self.aggregate.set_paused(true),
                            ControlCommand::Resume => self.aggregate.set_paused(false),
                            _ => {}
                        }
                    }
                    Err(e) => self.status = Some(e.to_string()),
                }
            }
            Effect::ExportCurl(id) => {
                let detail = match source {
                    None => Err("no store to read the request from".to_owned()),
                    Some(source) => match source.detail(id) {
                        Ok(Some(detail)) => Ok(detail),
                        Ok(None) => Err(format!("delivery #{id} is not in the store yet")),
                        Err(e) => Err(e.to_string()),
                    },
                };
                self.status = Some(match detail {
                    Ok(detail) => match export_curl(&detail, &self.options.curl_dir) {
                        Ok(export) => format!("curl written to {}", export.script.display()),
                        Err(e) => e.to_string(),
                    },
                    Err(message) => message,
                });
            }
        }
        false
    }

    /// The header information.
    #[must_use]
    pub fn header(&self) -> &HeaderInfo {
        &self.header
    }

    /// Live or watch.
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &AppOptions {
        &self.options
    }

    /// The aggregate view.
    #[must_use]
    pub fn aggregate(&self) -> &Aggregate {
        &self.aggregate
    }

    /// The screen's clock.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The filter in use.
    #[must_use]
    pub fn filter(&self) -> Filter {
        self.filter
    }

    /// The order in use.
    #[must_use]
    pub fn sort(&self) -> SortKey {
        self.sort
    }

    /// The search text.
    #[must_use]
    pub fn search(&self) -> &str {
        &self.search
    }

    /// What has the keys.
    #[must_use]
    pub fn input_mode(&self) -> InputMode {
        self.input
    }

    /// The rows in view and the total matching.
    #[must_use]
    pub fn page(&self) -> &RowPage {
        &self.page
    }

    /// Index of the first row in view among all matching rows.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Index of the selected row among all matching rows.
    #[must_use]
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The selected row, when it is in view.
    #[must_use]
    pub fn selected_row(&self) -> Option<&DeliveryRow> {
        self.page.rows.get(self.selected.checked_sub(self.offset)?)
    }

    /// The selected delivery.
    #[must_use]
    pub fn selected_id(&self) -> Option<DeliveryId> {
        self.selected_row().map(|r| r.id)
    }

    /// The open detail pane.
    #[must_use]
    pub fn detail(&self) -> Option<&DetailView> {
        self.detail.as_ref()
    }

    /// The footer message.
    #[must_use]
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// UI updates dropped because the UI was behind.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}
