//! Rendering: a pure function of [`App`]. Nothing here reads a clock, a channel or a store.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, Paragraph, Row, Sparkline, Table, TableState, Widget, Wrap,
};

use crate::app::{App, Mode};
use crate::keys::{InputMode, KEY_HELP};
use crate::model::{AttemptOutcome, DeliveryDetail, DeliveryRow, Phase};

/// Rows taken by the header.
const HEADER_HEIGHT: u16 = 3;
/// Terminals at least this wide put the charts (or detail) beside the table.
const WIDE: u16 = 140;
/// Rows the detail pane keeps below the table: its border and four lines.
const DETAIL_MIN_HEIGHT: u16 = 6;

/// Where each part of the screen goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Run summary.
    pub header: Rect,
    /// Deliveries table (with its border).
    pub table: Rect,
    /// Charts, when shown.
    pub charts: Option<Rect>,
    /// Detail pane, when open.
    pub detail: Option<Rect>,
    /// Keys or status message.
    pub footer: Rect,
}

impl Areas {
    /// Table rows that fit (inside the border, below the column titles).
    #[must_use]
    pub fn table_rows(&self) -> usize {
        usize::from(self.table.height.saturating_sub(3))
    }
}

/// Lays the screen out for `app` in `area`.
#[must_use]
pub fn areas(app: &App, area: Rect) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(HEADER_HEIGHT),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let detail_open = app.detail().is_some();
    if body.width >= WIDE {
        let [table, side] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Fill(1)]).areas(body);
        return Areas {
            header,
            table,
            charts: (!detail_open).then_some(side),
            detail: detail_open.then_some(side),
            footer,
        };
    }
    if detail_open {
        // The detail keeps its border and a few lines: on a short terminal the table gives way
        // (the selection still moves, and the detail follows it).
        let table_height = (body.height / 3).clamp(5, 10);
        let table_height = if body.height >= table_height + DETAIL_MIN_HEIGHT {
            table_height
        } else {
            0
        };
        let [table, detail] =
            Layout::vertical([Constraint::Length(table_height), Constraint::Fill(1)]).areas(body);
        return Areas {
            header,
            table,
            charts: None,
            detail: Some(detail),
            footer,
        };
    }
    if body.height < 14 {
        return Areas {
            header,
            table: body,
            charts: None,
            detail: None,
            footer,
        };
    }
    let charts_height = if body.height >= 36 { 12 } else { 7 };
    let [table, charts] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(charts_height)]).areas(body);
    Areas {
        header,
        table,
        charts: Some(charts),
        detail: None,
        footer,
    }
}

/// Draws the whole screen for `app`.
pub fn render(app: &App, frame: &mut Frame<'_>) {
    frame.render_widget(app, frame.area());
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = Theme {
            color: self.options().color,
        };
        let a = areas(self, area);
        render_header(self, &theme, a.header, buf);
        render_table(self, &theme, a.table, buf);
        if let Some(charts) = a.charts {
            render_charts(self, &theme, charts, buf, area.width >= WIDE);
        }
        if let Some(detail) = a.detail {
            render_detail(self, &theme, detail, buf);
        }
        render_footer(self, &theme, a.footer, buf);
        if self.input_mode() == InputMode::Help {
            render_help(self, &theme, area, buf);
        }
    }
}

/// Styles, with colour only when allowed (`NO_COLOR`).
#[derive(Debug, Clone, Copy)]
struct Theme {
    color: bool,
}

impl Theme {
    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    fn outcome(self, outcome: &AttemptOutcome) -> Style {
        self.fg(outcome_color(outcome))
    }

    fn phase(self, phase: Phase) -> Style {
        self.fg(match phase {
            Phase::Queued => Color::Gray,
            Phase::InFlight => Color::Cyan,
            Phase::Retrying => Color::Yellow,
            Phase::Delivered => Color::Green,
            Phase::Exhausted => Color::Red,
            Phase::ExpectedRejection => Color::Magenta,
            Phase::Unexpected => Color::LightRed,
        })
    }

    fn key(self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Gray)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
}

fn outcome_color(outcome: &AttemptOutcome) -> Color {
    match outcome {
        AttemptOutcome::Status(200) => Color::Green,
        AttemptOutcome::Status(s) if *s < 300 => Color::Yellow,
        AttemptOutcome::Status(s) if *s < 500 => Color::LightRed,
        AttemptOutcome::Status(_) => Color::Red,
        AttemptOutcome::Error(_) => Color::Magenta,
    }
}

fn phase_mark(phase: Phase) -> &'static str {
    match phase {
        Phase::Queued => "·",
        Phase::InFlight => "→",
        Phase::Retrying => "↻",
        Phase::Delivered => "✓",
        Phase::Exhausted => "✗",
        Phase::ExpectedRejection => "⊘",
        Phase::Unexpected => "!",
    }
}

/// `1234567` → `1,234,567`.
#[must_use]
pub fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A latency, short: `850µs`, `2.8ms`, `13ms` (rounded), `1.25s`, `2m05s`.
#[must_use]
pub fn fmt_latency(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1_000 {
        format!("{us}µs")
    } else if us < 9_950 {
        // 2.8ms, not a 2ms that hides most of a millisecond.
        format!("{:.1}ms", us as f64 / 1_000.0)
    } else if us < 999_500 {
        format!("{}ms", (us + 500) / 1_000)
    } else if us < 60_000_000 {
        format!("{:.2}s", d.as_secs_f64())
    } else {
        let s = d.as_secs();
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// A span of time, short: `0.4s`, `59s`, `59m58s`, `3h05m`, `6d23h`.
#[must_use]
pub fn fmt_span(seconds: f64) -> String {
    let s = if seconds.is_finite() {
        seconds.max(0.0)
    } else {
        0.0
    };
    if s < 10.0 {
        return format!("{s:.1}s");
    }
    let whole = s as u64;
    if whole < 60 {
        format!("{whole}s")
    } else if whole < 3_600 {
        format!("{}m{:02}s", whole / 60, whole % 60)
    } else if whole < 86_400 {
        format!("{}h{:02}m", whole / 3_600, (whole % 3_600) / 60)
    } else {
        format!("{}d{:02}h", whole / 86_400, (whole % 86_400) / 3_600)
    }
}

fn fmt_clock(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    format!("{:02}:{:02}:{:02}", s / 3_600, (s % 3_600) / 60, s % 60)
}

/// The countdown to a retry: policy time (scaled), then real time in brackets when they differ.
#[must_use]
pub fn fmt_countdown(at: DateTime<Utc>, now: DateTime<Utc>, time_scale: f64) -> String {
    let real = (at - now).num_milliseconds() as f64 / 1_000.0;
    if real <= 0.0 {
        return "due".to_owned();
    }
    let scale = if time_scale.is_finite() && time_scale > 0.0 {
        time_scale
    } else {
        1.0
    };
    if (scale - 1.0).abs() < f64::EPSILON {
        fmt_span(real)
    } else {
        format!("{} ({})", fmt_span(real * scale), fmt_span(real))
    }
}

/// The run's time scale, or 1 (real time) when not known.
fn scale_of(app: &App) -> f64 {
    app.header().time_scale.unwrap_or(1.0)
}

fn fmt_scale(scale: f64) -> String {
    if (scale - scale.round()).abs() < 1e-9 {
        format!("×{}", scale.round() as i64)
    } else {
        format!("×{scale}")
    }
}

fn short_id(s: &str) -> &str {
    s.get(..8).unwrap_or(s)
}

/// `s` in at most `width` columns: whole, or cut with a closing `…` so a cut never goes unseen.
fn ellipsize(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// One `label value` pair of a line of figures, with a shorter label for narrow screens.
struct Figure<'a> {
    label: &'a str,
    short: &'a str,
    value: String,
    style: Style,
}

/// Figures on one line of `width` columns, never cutting a value: full labels when they all fit,
/// else the short labels, else as many figures as fit and `…` for the rest.
fn fit_figures<'a>(figures: Vec<Figure<'a>>, width: usize, label_style: Style) -> Vec<Span<'a>> {
    let len = |short: bool| -> usize {
        figures
            .iter()
            .map(|f| {
                2 + (if short { f.short } else { f.label }).chars().count()
                    + f.value.chars().count()
            })
            .sum()
    };
    let short = len(false) > width;
    let mut used = 0;
    let mut spans = Vec::new();
    for f in figures {
        let label = if short { f.short } else { f.label };
        let need = 2 + label.chars().count() + f.value.chars().count();
        if used + need > width {
            if used + 2 <= width {
                spans.push(Span::styled(" …", label_style));
            }
            break;
        }
        used += need;
        spans.push(Span::styled(format!(" {label} "), label_style));
        spans.push(Span::styled(f.value, f.style));
    }
    spans
}

fn render_header(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let header = app.header();
    let agg = app.aggregate();
    let since_start = |t: Option<DateTime<Utc>>| t.unwrap_or(header.started_at) - header.started_at;
    // A run that is done stops its clock: the figures stay as they were at the end.
    let elapsed = match (app.mode(), agg.done_elapsed()) {
        (Mode::Live, Some(done)) => chrono::Duration::from_std(done).unwrap_or_default(),
        (Mode::Live, None) if agg.is_finished() => since_start(agg.last_event_at()),
        (Mode::Live, None) => app.now() - header.started_at,
        (Mode::Watch, _) => since_start(agg.last_event_at()),
    };
    let (state, state_style) = if agg.is_done() {
        ("■ done", theme.fg(Color::Cyan))
    } else if agg.is_paused() {
        (
            "⏸ paused",
            theme.fg(Color::Yellow).add_modifier(Modifier::BOLD),
        )
    } else if app.mode() == Mode::Watch {
        match app.writer() {
            Some(true) => ("▶ writing", theme.fg(Color::Green)),
            Some(false) => ("■ ended", theme.fg(Color::Cyan)),
            None => ("◉ watching", theme.fg(Color::Cyan)),
        }
    } else {
        ("▶ running", theme.fg(Color::Green))
    };
    let mode = match app.mode() {
        Mode::Live => "live",
        Mode::Watch => "watch",
    };
    let mut line1 = vec![
        Span::styled(" veriff-mock ", theme.bold()),
        Span::styled(mode, theme.dim()),
        Span::raw("  "),
        Span::styled(state, state_style),
        Span::styled("  elapsed ", theme.dim()),
        Span::styled(fmt_clock(elapsed), theme.bold()),
    ];
    // What is not known (watch over a store that did not record it) is not shown.
    if !header.scenario.is_empty() {
        line1.push(Span::styled("  scenario ", theme.dim()));
        line1.push(Span::raw(header.scenario.clone()));
    }
    if let Some(scale) = header.time_scale {
        line1.push(Span::styled("  scale ", theme.dim()));
        line1.push(Span::raw(fmt_scale(scale)));
    }
    if app.dropped() > 0 {
        line1.push(Span::styled(
            format!("  {} UI updates dropped", fmt_count(app.dropped())),
            theme.fg(Color::Yellow),
        ));
    }
    let target = match header.targets.as_slice() {
        [] => "—".to_owned(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} +{}", rest.len()),
    };
    let mut line2 = vec![Span::styled(" target ", theme.dim()), Span::raw(target)];
    if !header.retry_policy.is_empty() {
        line2.push(Span::styled("  retry ", theme.dim()));
        line2.push(Span::raw(header.retry_policy.clone()));
    }
    let c = agg.counts();
    let count = |label: &'static str, short: &'static str, n: u64, phase: Phase| Figure {
        label,
        short,
        value: fmt_count(n),
        style: theme.phase(phase).add_modifier(Modifier::BOLD),
    };
    let mut figures = vec![
        count("queued", "queued", c.queued, Phase::Queued),
        count("in flight", "in flight", c.in_flight, Phase::InFlight),
        count("delivered", "delivered", c.delivered, Phase::Delivered),
        count("retrying", "retrying", c.retrying, Phase::Retrying),
        count("exhausted", "exhausted", c.exhausted, Phase::Exhausted),
        count(
            "expected rejections",
            "rejected",
            c.expected_rejections,
            Phase::ExpectedRejection,
        ),
    ];
    if c.unexpected > 0 {
        figures.push(count(
            "unexpected",
            "unexpected",
            c.unexpected,
            Phase::Unexpected,
        ));
    }
    let line3 = fit_figures(figures, usize::from(area.width), theme.dim());
    Paragraph::new(vec![
        Line::from(line1),
        Line::from(line2),
        Line::from(line3),
    ])
    .render(area, buf);
}

fn row_cells<'a>(row: &'a DeliveryRow, app: &App, theme: &Theme, widths: &[u16]) -> Row<'a> {
    let width = |i: usize| usize::from(widths.get(i).copied().unwrap_or(0));
    // An attempt on the wire: its answer is awaited (the last outcome and latency are those
    // of the attempt before, shown in the detail).
    let in_flight = row.phase == Phase::InFlight;
    let (http, http_style) = match &row.last_outcome {
        _ if in_flight => ("…".to_owned(), theme.phase(Phase::InFlight)),
        Some(o) => (o.short(), theme.outcome(o)),
        None => ("—".to_owned(), theme.dim()),
    };
    let latency = match row.last_latency {
        Some(d) if !in_flight => fmt_latency(d),
        _ => String::new(),
    };
    let next = match (row.phase, row.next_retry_at) {
        // Nothing sends it until a run resumes the store.
        (Phase::Retrying, Some(_)) if app.writer() == Some(false) => "on resume".to_owned(),
        (Phase::Retrying, Some(at)) => {
            let full = fmt_countdown(at, app.now(), scale_of(app));
            // Narrow: `policy/real`, or the policy time alone when both do not fit.
            let slashed = full.replace(" (", "/").replace(')', "");
            if full.chars().count() <= width(9) {
                full
            } else if slashed.chars().count() <= width(9) {
                slashed
            } else {
                full.split(" (").next().unwrap_or_default().to_owned()
            }
        }
        _ => String::new(),
    };
    let cell = |i: usize, s: &str| Cell::from(ellipsize(s, width(i)));
    Row::new(vec![
        cell(0, &row.queued_at.format("%H:%M:%S").to_string()),
        Cell::from(Span::styled(phase_mark(row.phase), theme.phase(row.phase))),
        cell(2, row.kind.name()),
        cell(3, &row.status),
        cell(4, short_id(&row.session_id)),
        cell(5, row.vendor_data.as_deref().unwrap_or("")),
        cell(6, &row.attempts.to_string()),
        Cell::from(Span::styled(ellipsize(&http, width(7)), http_style)),
        cell(8, &latency),
        cell(9, &next),
    ])
}

fn render_table(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let page = app.page();
    let first = if page.total == 0 { 0 } else { app.offset() + 1 };
    let last = app.offset() + page.rows.len();
    let mut title = vec![
        Span::styled(" Deliveries ", theme.bold()),
        Span::raw(format!(
            "{}–{} of {} ",
            fmt_count(first as u64),
            fmt_count(last as u64),
            fmt_count(page.total as u64)
        )),
        Span::styled("· filter ", theme.dim()),
        Span::raw(app.filter().to_string()),
        Span::styled(" · sort ", theme.dim()),
        Span::raw(app.sort().to_string()),
    ];
    if !app.search().is_empty() {
        title.push(Span::styled(" · search ", theme.dim()));
        title.push(Span::raw(format!("\"{}\"", app.search())));
    }
    title.push(Span::raw(" "));
    let block = Block::bordered().title(Line::from(title));
    let wide = area.width >= 100;
    // Narrow: the http column is as wide as the outcomes in view need (short error names take
    // up to 7), so a page of plain statuses leaves the room to vendorData.
    let http_width = if wide {
        9
    } else {
        page.rows
            .iter()
            .filter_map(|r| r.last_outcome.as_ref())
            .map(|o| u16::try_from(o.short().chars().count()).unwrap_or(7))
            .max()
            .unwrap_or(0)
            .clamp(4, 7)
    };
    let widths = [
        Constraint::Length(8),
        Constraint::Length(1),
        Constraint::Length(if wide { 11 } else { 8 }),
        // Narrow: nine columns, so `submitted` and `abandoned` are not cut.
        Constraint::Length(if wide { 14 } else { 9 }),
        Constraint::Length(8),
        Constraint::Fill(1),
        Constraint::Length(3),
        Constraint::Length(http_width),
        Constraint::Length(7),
        Constraint::Length(if wide { 16 } else { 11 }),
    ];
    let titles = [
        "time",
        "",
        "kind",
        "status",
        "session",
        if wide { "vendorData" } else { "vendor" },
        "att",
        "http",
        "latency",
        if wide { "next retry" } else { "retry in" },
    ];
    if page.rows.is_empty() {
        let inner = block.inner(area);
        block.render(area, buf);
        let message = if page.total == 0 && app.aggregate().counts().total() == 0 {
            "No deliveries yet."
        } else {
            "No deliveries match."
        };
        Paragraph::new(vec![Line::raw(""), Line::styled(message, theme.dim())])
            .centered()
            .render(inner, buf);
        return;
    }
    // The widths the table will give each column (inside the border, after the `>` of the
    // selection), so that a cell too long for its column is cut with `…`, never silently.
    let inner = block.inner(area);
    let columns = Layout::horizontal(widths).spacing(1).split(Rect::new(
        0,
        0,
        inner.width.saturating_sub(1),
        1,
    ));
    let column_widths: Vec<u16> = columns.iter().map(|c| c.width).collect();
    let header = Row::new(
        titles
            .iter()
            .zip(&column_widths)
            .map(|(title, &width)| Cell::from(ellipsize(title, usize::from(width)))),
    )
    .style(theme.bold());
    let rows: Vec<Row<'_>> = page
        .rows
        .iter()
        .map(|r| row_cells(r, app, theme, &column_widths))
        .collect();
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol(">");
    let mut state = TableState::default();
    state.select(app.selected().checked_sub(app.offset()));
    ratatui::widgets::StatefulWidget::render(table, area, buf, &mut state);
}

fn render_charts(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer, stacked: bool) {
    let parts: [Rect; 3] = if stacked {
        Layout::vertical([Constraint::Fill(1); 3]).areas(area)
    } else {
        Layout::horizontal([
            Constraint::Fill(1),
            Constraint::Fill(1),
            Constraint::Fill(1),
        ])
        .areas(area)
    };
    render_latency(app, theme, parts[0], buf);
    render_status_codes(app, theme, parts[1], buf);
    render_rate(app, theme, parts[2], buf);
}

/// An upper bound, rounded up, with `decimals` more digits than [`fmt_latency`] gives.
fn fmt_bound(d: Duration, decimals: usize) -> String {
    let us = d.as_micros();
    let up = |unit: f64, digits: usize| {
        let scale = 10f64.powi(i32::try_from(digits).unwrap_or(0));
        (us as f64 / unit * scale).ceil() / scale
    };
    if us < 1_000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{:.decimals$}ms", up(1_000.0, decimals))
    } else if us < 60_000_000 {
        let digits = decimals + 2;
        format!("{:.digits$}s", up(1_000_000.0, digits))
    } else {
        fmt_latency(d)
    }
}

/// The histogram's bins with a distinct `≤bound` label each: bounds get more digits until they
/// differ, and bins that still share a label are merged.
fn latency_bins(h: &crate::LatencyHistogram, bins: usize) -> (Vec<(Duration, u64)>, Vec<String>) {
    let bins = h.bins(bins);
    let labelled = |decimals| -> Vec<String> {
        bins.iter()
            .map(|(up, _)| format!("≤{}", fmt_bound(*up, decimals)))
            .collect()
    };
    let distinct = |labels: &[String]| labels.windows(2).all(|w| w[0] != w[1]);
    let labels = (0..=2)
        .map(labelled)
        .find(|l| distinct(l))
        .unwrap_or_else(|| labelled(2));
    let mut merged: Vec<((Duration, u64), String)> = Vec::new();
    for (bin, label) in bins.into_iter().zip(labels) {
        match merged.last_mut() {
            Some((last, last_label)) if *last_label == label => {
                last.0 = bin.0;
                last.1 += bin.1;
            }
            _ => merged.push((bin, label)),
        }
    }
    merged.into_iter().unzip()
}

fn render_latency(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::bordered().title(Span::styled(" Latency ", theme.bold()));
    let inner = block.inner(area);
    block.render(area, buf);
    let h = app.aggregate().latency();
    let (Some(p50), Some(p90), Some(p99), Some(max)) = (
        h.percentile(0.5),
        h.percentile(0.9),
        h.percentile(0.99),
        h.max(),
    ) else {
        Paragraph::new(Line::styled("no attempts yet", theme.dim())).render(inner, buf);
        return;
    };
    let stat = |label: &'static str, d: Duration| {
        [
            Span::styled(label, theme.dim()),
            Span::raw(format!("{:<7}", fmt_latency(d))),
        ]
    };
    let mut l1 = Vec::new();
    l1.extend(stat("p50 ", p50));
    l1.extend(stat("p90 ", p90));
    let mut l2 = Vec::new();
    l2.extend(stat("p99 ", p99));
    l2.extend(stat("max ", max));
    let mut lines = vec![Line::from(l1), Line::from(l2)];
    let room = usize::from(inner.height).saturating_sub(2).min(12);
    let (bins, labels) = latency_bins(h, room);
    let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let peak = bins.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let count_width = fmt_count(peak).len();
    let bar_room = usize::from(inner.width).saturating_sub(label_width + count_width + 2);
    for ((_, n), label) in bins.iter().zip(labels) {
        let bar = ((*n as f64 / peak as f64) * bar_room as f64).ceil() as usize;
        let bar = bar.min(bar_room);
        lines.push(Line::from(vec![
            Span::styled(format!("{label:>label_width$} "), theme.dim()),
            Span::styled("■".repeat(bar), theme.fg(Color::Cyan)),
            Span::raw(format!(
                "{}{:>count_width$}",
                " ".repeat(bar_room - bar + 1),
                fmt_count(*n)
            )),
        ]));
    }
    Paragraph::new(lines).render(inner, buf);
}

fn render_status_codes(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::bordered().title(Span::styled(" Status codes ", theme.bold()));
    let inner = block.inner(area);
    block.render(area, buf);
    let mut outcomes: Vec<(&AttemptOutcome, u64)> = app
        .aggregate()
        .outcomes()
        .iter()
        .map(|(o, n)| (o, *n))
        .collect();
    if outcomes.is_empty() {
        Paragraph::new(Line::styled("no attempts yet", theme.dim())).render(inner, buf);
        return;
    }
    outcomes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let height = usize::from(inner.height);
    let more = if outcomes.len() > height && height > 0 {
        let hidden: u64 = outcomes[height - 1..].iter().map(|(_, n)| n).sum();
        let kinds = outcomes.len() - (height - 1);
        outcomes.truncate(height - 1);
        Some((kinds, hidden))
    } else {
        None
    };
    let max = outcomes.first().map_or(1, |(_, n)| *n).max(1);
    let count_width = outcomes
        .iter()
        .map(|(_, n)| fmt_count(*n).len())
        .max()
        .unwrap_or(1);
    let label_width = outcomes
        .iter()
        .map(|(o, _)| o.short().chars().count())
        .max()
        .unwrap_or(3);
    let bar_room = usize::from(inner.width).saturating_sub(label_width + count_width + 2);
    let mut lines: Vec<Line<'_>> = outcomes
        .iter()
        .map(|(o, n)| {
            let bar = ((*n as f64 / max as f64) * bar_room as f64).ceil() as usize;
            let label = o.short();
            Line::from(vec![
                Span::styled(format!("{label:<label_width$} "), theme.outcome(o)),
                Span::styled("█".repeat(bar.min(bar_room)), theme.outcome(o)),
                Span::raw(format!(
                    "{}{:>count_width$}",
                    " ".repeat(bar_room - bar.min(bar_room) + 1),
                    fmt_count(*n)
                )),
            ])
        })
        .collect();
    if let Some((kinds, hidden)) = more {
        lines.push(Line::styled(
            format!("+{kinds} more: {}", fmt_count(hidden)),
            theme.dim(),
        ));
    }
    Paragraph::new(lines).render(inner, buf);
}

fn render_rate(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::bordered().title(Span::styled(" Deliveries/s ", theme.bold()));
    let inner = block.inner(area);
    block.render(area, buf);
    let agg = app.aggregate();
    let end = match (app.mode(), agg.is_done(), agg.last_event_at()) {
        (Mode::Live, false, _) | (_, _, None) => app.now().timestamp(),
        (_, _, Some(last)) => last.timestamp(),
    };
    let recent = agg.rates().delivered_per_second(end, 5);
    let span = agg
        .last_event_at()
        .zip(agg.first_event_at())
        .map_or(0.0, |(l, f)| (l - f).num_milliseconds() as f64 / 1_000.0);
    let overall = if span >= 1.0 {
        agg.counts().delivered as f64 / span
    } else {
        agg.counts().delivered as f64
    };
    let figure = |label, short, value| Figure {
        label,
        short,
        value,
        style: Style::new(),
    };
    let width = usize::from(inner.width) + 1; // the figures' leading space goes in the border
    let last5 = figure("last 5s", "5s", format!("{recent:.1}/s"));
    let all = figure("overall", "all", format!("{overall:.1}/s"));
    let attempts = figure("attempts", "att", fmt_count(agg.attempts()));
    // Attempts get a line of their own when the chart keeps at least two rows.
    let lines = if inner.height >= 5 {
        vec![vec![last5], vec![all], vec![attempts]]
    } else {
        vec![vec![last5], vec![all, attempts]]
    };
    let [text, chart] = Layout::vertical([
        Constraint::Length(u16::try_from(lines.len()).unwrap_or(2)),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let text_lines: Vec<Line<'_>> = lines
        .into_iter()
        .map(|figures| {
            let mut spans = fit_figures(figures, width, theme.dim());
            // Drawn from the border's inner edge: drop the leading space of the first label.
            if let Some(first) = spans.first_mut() {
                first.content = first.content.trim_start().to_owned().into();
            }
            Line::from(spans)
        })
        .collect();
    Paragraph::new(text_lines).render(text, buf);
    if chart.height > 0 && chart.width > 0 {
        let series: Vec<u64> = agg
            .rates()
            .series(end, usize::from(chart.width))
            .into_iter()
            .map(|s| s.delivered)
            .collect();
        Sparkline::default()
            .data(series)
            .style(theme.fg(Color::Green))
            .render(chart, buf);
    }
}

/// Pretty-prints JSON bodies; anything else is shown as (lossy) text.
#[must_use]
pub fn pretty_body(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => serde_json::to_string_pretty(&value)
            .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned()),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

fn header_value(name: &str, value: &str) -> String {
    if name.to_ascii_lowercase().contains("secret") {
        "[redacted]".to_owned()
    } else {
        value.to_owned()
    }
}

fn detail_lines<'a>(app: &App, theme: &Theme, d: &'a DeliveryDetail) -> Vec<Line<'a>> {
    let row = &d.row;
    let section = |title: &'static str| Line::styled(title, theme.bold().fg_if(theme, Color::Cyan));
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("#{} ", row.id), theme.bold()),
            Span::raw(format!("{} {} ", row.kind, row.status)),
            Span::styled(row.phase.name(), theme.phase(row.phase)),
        ]),
        Line::from(vec![
            Span::styled("session ", theme.dim()),
            Span::raw(row.session_id.as_str()),
            Span::styled("  vendorData ", theme.dim()),
            Span::raw(row.vendor_data.as_deref().unwrap_or("—")),
        ]),
        Line::from(vec![
            Span::styled("POST ", theme.dim()),
            Span::raw(d.url.as_str()),
        ]),
    ];
    if let (Phase::Retrying, Some(at)) = (row.phase, row.next_retry_at) {
        lines.push(if app.writer() == Some(false) {
            Line::styled(
                "next attempt: when `veriff-mock fire --resume` runs (no run is writing this store)",
                theme.dim(),
            )
        } else {
            Line::from(vec![
                Span::styled("next attempt in ", theme.dim()),
                Span::raw(fmt_countdown(at, app.now(), scale_of(app))),
            ])
        });
    }
    lines.push(Line::raw(""));
    lines.push(section("Attempts"));
    if d.attempts.is_empty() {
        lines.push(Line::styled("  none yet", theme.dim()));
    }
    for a in &d.attempts {
        let (outcome, style) = match &a.outcome {
            Some(o @ AttemptOutcome::Status(s)) => (format!("HTTP {s}"), theme.outcome(o)),
            Some(o @ AttemptOutcome::Error(kind)) => (format!("error {kind}"), theme.outcome(o)),
            None => ("in flight".to_owned(), theme.phase(Phase::InFlight)),
        };
        let mut spans = vec![
            Span::raw(format!("  #{:<3}", a.number)),
            Span::raw(a.started_at.format("%H:%M:%S%.3f ").to_string()),
            // Always a space before the latency, however long the error kind.
            Span::styled(format!("{outcome:<14} "), style),
            Span::raw(a.latency.map(fmt_latency).unwrap_or_default()),
        ];
        if a.manual {
            spans.push(Span::styled("  manual", theme.fg(Color::Yellow)));
        }
        lines.push(Line::from(spans));
        if let Some(detail) = &a.error_detail {
            lines.push(Line::styled(format!("       {detail}"), theme.dim()));
        }
    }
    lines.push(Line::raw(""));
    lines.push(section("Request headers"));
    for (name, value) in &d.request_headers {
        lines.push(Line::from(vec![
            Span::styled(format!("  {name}: "), theme.dim()),
            Span::raw(header_value(name, value)),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(section("Request body"));
    for l in pretty_body(&d.request_body).lines() {
        lines.push(Line::raw(format!("  {l}")));
    }
    if let Some(last) = d.attempts.iter().rev().find(|a| a.outcome.is_some()) {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("Response (attempt #{})", last.number),
            theme.bold().fg_if(theme, Color::Cyan),
        ));
        for (name, value) in &last.response_headers {
            lines.push(Line::from(vec![
                Span::styled(format!("  {name}: "), theme.dim()),
                Span::raw(header_value(name, value)),
            ]));
        }
        let answered = last.outcome.as_ref().is_some_and(|o| o.status().is_some())
            || !last.response_headers.is_empty();
        if !answered && last.response_body.is_empty() {
            let why = last
                .outcome
                .as_ref()
                .and_then(AttemptOutcome::error_kind)
                .map(|kind| format!(" (error {kind})"))
                .unwrap_or_default();
            lines.push(Line::styled(format!("  no response{why}"), theme.dim()));
        } else if last.response_body.is_empty() {
            lines.push(Line::styled("  (empty body)", theme.dim()));
        } else {
            for l in pretty_body(&last.response_body).lines() {
                lines.push(Line::raw(format!("  {l}")));
            }
        }
    }
    lines
}

trait FgIf {
    fn fg_if(self, theme: &Theme, color: Color) -> Style;
}

impl FgIf for Style {
    fn fg_if(self, theme: &Theme, color: Color) -> Style {
        if theme.color { self.fg(color) } else { self }
    }
}

fn render_detail(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(view) = app.detail() else {
        return;
    };
    if area.height < 3 {
        // No room inside a border: say what to do instead of drawing an empty frame.
        Paragraph::new(Line::styled(
            ellipsize(
                "Terminal too small for the detail: enlarge it, or Esc",
                usize::from(area.width),
            ),
            theme.fg(Color::Yellow),
        ))
        .render(area, buf);
        return;
    }
    let block = Block::bordered()
        .title(Span::styled(
            format!(" Delivery #{} ", view.id),
            theme.bold(),
        ))
        .title_bottom(Line::styled(" Esc close · PgUp/PgDn scroll ", theme.dim()));
    let text = match &view.detail {
        Some(detail) => Text::from(detail_lines(app, theme, detail)),
        None => Text::from(vec![
            Line::raw(""),
            Line::styled("Reading the store…", theme.dim()).centered(),
        ]),
    };
    Paragraph::new(text)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((view.scroll, 0))
        .render(area, buf);
}

fn render_footer(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    if app.input_mode() == InputMode::Search {
        Paragraph::new(Line::from(vec![
            Span::styled("/", theme.key()),
            Span::raw(format!("{}▏", app.search())),
            Span::styled(
                "  Enter keep · Esc clear · session id or vendorData",
                theme.dim(),
            ),
        ]))
        .render(area, buf);
        return;
    }
    if let Some(status) = app.status() {
        Paragraph::new(Line::styled(format!(" {status}"), theme.fg(Color::Yellow)))
            .render(area, buf);
        return;
    }
    // Least needed last: dropped first when the line is too narrow.
    let mut keys: Vec<(&str, &str)> = vec![("⏎", "detail")];
    if app.mode() == Mode::Live {
        // `watch` only reads: it offers no key that would send.
        keys.extend([
            ("r", "resend"),
            ("R", "retry all"),
            (
                "p",
                if app.aggregate().is_paused() {
                    "resume"
                } else {
                    "pause"
                },
            ),
        ]);
    }
    keys.extend([
        ("f", "filter"),
        ("/", "search"),
        ("s", "sort"),
        ("c", "curl"),
        ("↑↓", "move"),
    ]);
    let tail = [("?", "help"), ("q", "quit")];
    // A finished run stays open to browse: say how to leave, before any other key.
    let done = match app.mode() {
        Mode::Live => app
            .aggregate()
            .is_done()
            .then_some(" ■ done: press q to exit "),
        // A store nobody writes any more: its pending retries wait for a resume.
        Mode::Watch => (app.writer() == Some(false) && app.aggregate().counts().retrying > 0)
            .then_some(" ■ no run is writing: retries wait for fire --resume "),
    };
    let width = |ks: &[(&str, &str)]| -> usize {
        ks.iter()
            .chain(tail.iter())
            .map(|(k, l)| k.chars().count() + l.chars().count() + 2)
            .sum::<usize>()
            + done.map_or(0, |d| d.chars().count())
    };
    while width(&keys) > usize::from(area.width) && !keys.is_empty() {
        keys.pop();
    }
    let mut spans = Vec::new();
    if let Some(done) = done {
        spans.push(Span::styled(
            done,
            theme.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ));
    }
    for (k, l) in keys.iter().chain(tail.iter()) {
        spans.push(Span::styled(*k, theme.key()));
        spans.push(Span::raw(format!(" {l} ")));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

fn render_help(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    // `watch` only reads: the keys that send are not offered there.
    let keys: Vec<&(&str, &str)> = KEY_HELP
        .iter()
        .filter(|(k, _)| app.mode() == Mode::Live || !matches!(*k, "r" | "R" | "p"))
        .collect();
    let width = area.width.saturating_sub(4).min(60);
    let height = area
        .height
        .saturating_sub(2)
        .min(u16::try_from(keys.len()).unwrap_or(u16::MAX) + 2);
    let popup = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    };
    Clear.render(popup, buf);
    let lines: Vec<Line<'_>> = keys
        .into_iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<12}"), theme.bold()),
                Span::raw(*what),
            ])
        })
        .collect();
    Paragraph::new(lines)
        .block(
            Block::new()
                .borders(Borders::ALL)
                .title(Span::styled(" Keys ", theme.bold()))
                .title_bottom(Line::styled(" ? or Esc to close ", theme.dim())),
        )
        .render(popup, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_count(1_000), "1,000");
        assert_eq!(fmt_count(1_234_567), "1,234,567");
    }

    #[test]
    fn latencies_and_spans_are_short() {
        assert_eq!(fmt_latency(Duration::from_micros(850)), "850µs");
        assert_eq!(fmt_latency(Duration::from_millis(12)), "12ms");
        assert_eq!(fmt_latency(Duration::from_micros(2_804)), "2.8ms");
        assert_eq!(fmt_latency(Duration::from_micros(12_600)), "13ms");
        assert_eq!(fmt_latency(Duration::from_micros(999_700)), "1.00s");
        assert_eq!(fmt_latency(Duration::from_millis(1_250)), "1.25s");
        assert_eq!(fmt_latency(Duration::from_secs(125)), "2m05s");
        assert_eq!(fmt_span(0.44), "0.4s");
        assert_eq!(fmt_span(59.0), "59s");
        assert_eq!(fmt_span(3_598.0), "59m58s");
        assert_eq!(fmt_span(3_600.0 * 3.0 + 300.0), "3h05m");
        assert_eq!(fmt_span(86_400.0 * 6.0 + 3_600.0 * 23.0), "6d23h");
        assert_eq!(fmt_span(f64::NAN), "0.0s");
    }

    #[test]
    fn countdown_shows_policy_time_then_real_time() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let at = now + chrono::Duration::milliseconds(1_000);
        assert_eq!(fmt_countdown(at, now, 3_600.0), "1h00m (1.0s)");
        assert_eq!(fmt_countdown(at, now, 1.0), "1.0s");
        assert_eq!(fmt_countdown(now, at, 3_600.0), "due");
    }

    #[test]
    fn bodies_are_pretty_printed_when_json() {
        assert_eq!(
            pretty_body(br#"{"b":1,"a":[2]}"#),
            "{\n  \"b\": 1,\n  \"a\": [\n    2\n  ]\n}"
        );
        assert_eq!(pretty_body(b"not json"), "not json");
        assert_eq!(pretty_body(&[0xff, b'a']), "\u{fffd}a");
    }

    #[test]
    fn cuts_are_marked_and_figures_keep_their_values() {
        assert_eq!(ellipsize("submitted", 8), "submitt…");
        assert_eq!(ellipsize("approved", 8), "approved");
        assert_eq!(ellipsize("x", 0), "");
        let figures = || {
            vec![
                Figure {
                    label: "delivered",
                    short: "delivered",
                    value: "12,345".to_owned(),
                    style: Style::new(),
                },
                Figure {
                    label: "expected rejections",
                    short: "rejected",
                    value: "1,234".to_owned(),
                    style: Style::new(),
                },
            ]
        };
        let text = |spans: Vec<Span<'_>>| {
            spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(
            text(fit_figures(figures(), 80, Style::new())),
            " delivered 12,345 expected rejections 1,234"
        );
        assert_eq!(
            text(fit_figures(figures(), 34, Style::new())),
            " delivered 12,345 rejected 1,234"
        );
        assert_eq!(
            text(fit_figures(figures(), 20, Style::new())),
            " delivered 12,345 …"
        );
    }

    #[test]
    fn latency_bins_get_distinct_labels() {
        let mut h = crate::LatencyHistogram::default();
        for us in [244, 1_044, 1_844] {
            h.record(Duration::from_micros(us));
        }
        let (bins, labels) = latency_bins(&h, 3);
        assert_eq!(labels, ["≤777µs", "≤1.4ms", "≤1.9ms"]);
        assert_eq!(bins.iter().map(|b| b.1).sum::<u64>(), 3);
        // One latency: bounds a fraction of a microsecond apart share a label and merge.
        let mut h = crate::LatencyHistogram::default();
        h.record(Duration::from_micros(500));
        let (bins, labels) = latency_bins(&h, 4);
        assert_eq!(bins.len(), labels.len());
        assert!(labels.windows(2).all(|w| w[0] != w[1]), "{labels:?}");
        assert_eq!(bins.iter().map(|b| b.1).sum::<u64>(), 1);
    }

    #[test]
    fn secret_like_headers_are_redacted() {
        assert_eq!(header_value("X-Shared-Secret", "s3cr3t"), "[redacted]");
        assert_eq!(header_value("x-hmac-signature", "abc"), "abc");
    }
}
