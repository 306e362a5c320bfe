//! Keys become commands: a pure mapping, tested on its own.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What keys mean depends on what is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputMode {
    /// The table has the keys.
    #[default]
    Normal,
    /// The detail pane is open.
    Detail,
    /// Typing a search.
    Search,
    /// The help overlay is open.
    Help,
}

/// Something the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Select the previous row.
    Up,
    /// Select the next row.
    Down,
    /// Move a page up.
    PageUp,
    /// Move a page down.
    PageDown,
    /// Select the first row.
    Home,
    /// Select the last row.
    End,
    /// Open the detail pane.
    OpenDetail,
    /// Close whatever is open (detail, help, search).
    Close,
    /// Scroll the detail pane up.
    ScrollDetailUp,
    /// Scroll the detail pane down.
    ScrollDetailDown,
    /// Resend the selected delivery now (recorded as manual).
    ResendSelected,
    /// Retry every failed delivery now.
    RetryAllFailed,
    /// Pause or resume dispatch.
    TogglePause,
    /// Next filter.
    CycleFilter,
    /// Start typing a search.
    StartSearch,
    /// A character typed into the search.
    SearchChar(char),
    /// Delete the last character of the search.
    SearchBackspace,
    /// Keep the search and go back to the table.
    SearchSubmit,
    /// Next sort order.
    CycleSort,
    /// Write the selected delivery as a curl command.
    ExportCurl,
    /// Show or hide the help.
    ToggleHelp,
    /// Quit.
    Quit,
}

/// Maps a key to a command, or `None` for keys that mean nothing here. Key releases are ignored.
#[must_use]
pub fn map_key(key: KeyEvent, mode: InputMode) -> Option<Command> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c' | 'C')) {
        return Some(Command::Quit);
    }
    if mode == InputMode::Search {
        return match key.code {
            KeyCode::Esc => Some(Command::Close),
            KeyCode::Enter => Some(Command::SearchSubmit),
            KeyCode::Backspace => Some(Command::SearchBackspace),
            KeyCode::Char(c) if !ctrl => Some(Command::SearchChar(c)),
            _ => None,
        };
    }
    if mode == InputMode::Help {
        return match key.code {
            KeyCode::Esc | KeyCode::Char('?') => Some(Command::ToggleHelp),
            KeyCode::Char('q') => Some(Command::Quit),
            _ => None,
        };
    }
    let detail = mode == InputMode::Detail;
    let command = match key.code {
        KeyCode::Up | KeyCode::Char('k') => Command::Up,
        KeyCode::Down | KeyCode::Char('j') => Command::Down,
        KeyCode::PageUp if detail => Command::ScrollDetailUp,
        KeyCode::PageDown if detail => Command::ScrollDetailDown,
        KeyCode::PageUp => Command::PageUp,
        KeyCode::PageDown => Command::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Command::Home,
        KeyCode::End | KeyCode::Char('G') => Command::End,
        KeyCode::Enter => Command::OpenDetail,
        KeyCode::Esc => Command::Close,
        KeyCode::Char('r') => Command::ResendSelected,
        KeyCode::Char('R') => Command::RetryAllFailed,
        KeyCode::Char('p') => Command::TogglePause,
        KeyCode::Char('f') => Command::CycleFilter,
        KeyCode::Char('/') => Command::StartSearch,
        KeyCode::Char('s') => Command::CycleSort,
        KeyCode::Char('c') => Command::ExportCurl,
        KeyCode::Char('?') => Command::ToggleHelp,
        KeyCode::Char('q') => Command::Quit,
        _ => return None,
    };
    Some(command)
}

/// The keys, as the footer and help list them: `(keys, what they do)`.
pub const KEY_HELP: &[(&str, &str)] = &[
    ("↑/↓ j/k", "move"),
    ("PgUp/PgDn", "page (scroll detail when open)"),
    ("Home/End", "first / last"),
    ("Enter / Esc", "open / close detail"),
    ("r", "resend selected now (manual)"),
    ("R", "retry every failed delivery now"),
    ("p", "pause / resume dispatch"),
    ("f", "filter: all failed retrying delivered kind"),
    ("/", "search session id or vendorData"),
    ("s", "sort"),
    ("c", "write selected as a curl command"),
    ("?", "help"),
    ("q / Ctrl-C", "quit"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn navigation_keys_move_in_the_table() {
        let n = InputMode::Normal;
        assert_eq!(map_key(key(KeyCode::Up), n), Some(Command::Up));
        assert_eq!(map_key(key(KeyCode::Char('k')), n), Some(Command::Up));
        assert_eq!(map_key(key(KeyCode::Down), n), Some(Command::Down));
        assert_eq!(map_key(key(KeyCode::Char('j')), n), Some(Command::Down));
        assert_eq!(map_key(key(KeyCode::PageUp), n), Some(Command::PageUp));
        assert_eq!(map_key(key(KeyCode::PageDown), n), Some(Command::PageDown));
        assert_eq!(map_key(key(KeyCode::Home), n), Some(Command::Home));
        assert_eq!(map_key(key(KeyCode::End), n), Some(Command::End));
    }

    #[test]
    fn action_keys() {
        let n = InputMode::Normal;
        let cases = [
            ('r', Command::ResendSelected),
            ('R', Command::RetryAllFailed),
            ('p', Command::TogglePause),
            ('f', Command::CycleFilter),
            ('/', Command::StartSearch),
            ('s', Command::CycleSort),
            ('c', Command::ExportCurl),
            ('?', Command::ToggleHelp),
            ('q', Command::Quit),
        ];
        for (c, want) in cases {
            assert_eq!(map_key(key(KeyCode::Char(c)), n), Some(want), "key {c}");
        }
        assert_eq!(map_key(key(KeyCode::Enter), n), Some(Command::OpenDetail));
        assert_eq!(map_key(key(KeyCode::Esc), n), Some(Command::Close));
        assert_eq!(map_key(key(KeyCode::Char('x')), n), None);
        assert_eq!(map_key(key(KeyCode::F(5)), n), None);
    }

    #[test]
    fn ctrl_c_quits_in_every_mode() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for mode in [
            InputMode::Normal,
            InputMode::Detail,
            InputMode::Search,
            InputMode::Help,
        ] {
            assert_eq!(map_key(ctrl_c, mode), Some(Command::Quit), "{mode:?}");
        }
    }

    #[test]
    fn search_mode_types_instead_of_acting() {
        let s = InputMode::Search;
        assert_eq!(
            map_key(key(KeyCode::Char('q')), s),
            Some(Command::SearchChar('q'))
        );
        assert_eq!(
            map_key(key(KeyCode::Char('r')), s),
            Some(Command::SearchChar('r'))
        );
        assert_eq!(
            map_key(key(KeyCode::Backspace), s),
            Some(Command::SearchBackspace)
        );
        assert_eq!(map_key(key(KeyCode::Enter), s), Some(Command::SearchSubmit));
        assert_eq!(map_key(key(KeyCode::Esc), s), Some(Command::Close));
        assert_eq!(map_key(key(KeyCode::Up), s), None);
    }

    #[test]
    fn detail_mode_pages_scroll_the_detail() {
        let d = InputMode::Detail;
        assert_eq!(
            map_key(key(KeyCode::PageDown), d),
            Some(Command::ScrollDetailDown)
        );
        assert_eq!(
            map_key(key(KeyCode::PageUp), d),
            Some(Command::ScrollDetailUp)
        );
        assert_eq!(map_key(key(KeyCode::Down), d), Some(Command::Down));
        assert_eq!(map_key(key(KeyCode::Esc), d), Some(Command::Close));
    }

    #[test]
    fn help_mode_only_closes_or_quits() {
        let h = InputMode::Help;
        assert_eq!(map_key(key(KeyCode::Esc), h), Some(Command::ToggleHelp));
        assert_eq!(
            map_key(key(KeyCode::Char('?')), h),
            Some(Command::ToggleHelp)
        );
        assert_eq!(map_key(key(KeyCode::Char('q')), h), Some(Command::Quit));
        assert_eq!(map_key(key(KeyCode::Char('r')), h), None);
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut release = key(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(map_key(release, InputMode::Normal), None);
    }
}
