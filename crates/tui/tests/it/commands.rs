//! Commands on the state, and what they ask of the world.

use std::sync::mpsc;

use veriff_mock_tui::{
    App, Command, ControlCommand, DeliveryId, Effect, Filter, InputMode, Mode, NoControl, SortKey,
};

use crate::fixtures;
use crate::snapshots::draw;

fn app() -> App {
    let mut app = fixtures::app_with_retries();
    app.set_page_size(5);
    app.refresh(None);
    app
}

#[test]
fn moving_is_clamped_and_pages_follow_the_selection() {
    let mut app = app();
    assert_eq!(app.selected_id(), Some(DeliveryId(12)), "newest first");
    app.handle(Command::Up);
    assert_eq!(app.selected(), 0);
    app.handle(Command::Down);
    app.refresh(None);
    assert_eq!(app.selected_id(), Some(DeliveryId(11)));
    app.handle(Command::PageDown);
    app.refresh(None);
    assert_eq!(app.selected(), 6);
    assert_eq!(app.offset(), 2);
    assert_eq!(app.selected_id(), Some(DeliveryId(6)));
    app.handle(Command::End);
    app.refresh(None);
    assert_eq!(app.selected(), 11);
    assert_eq!(app.selected_id(), Some(DeliveryId(1)));
    app.handle(Command::Down);
    assert_eq!(app.selected(), 11);
    app.handle(Command::PageUp);
    app.refresh(None);
    assert_eq!(app.selected(), 6);
    app.handle(Command::Home);
    app.refresh(None);
    assert_eq!((app.selected(), app.offset()), (0, 0));
}

#[test]
fn r_resends_the_selected_delivery_as_a_control_command() {
    let mut app = app();
    app.handle(Command::Down);
    app.refresh(None);
    let effect = app.handle(Command::ResendSelected);
    assert_eq!(
        effect,
        Some(Effect::Control(ControlCommand::Resend(DeliveryId(11))))
    );
    let (tx, rx) = mpsc::channel();
    let mut tx = tx;
    assert!(!app.perform(effect.unwrap(), &mut tx, None));
    assert_eq!(rx.try_recv(), Ok(ControlCommand::Resend(DeliveryId(11))));
    assert_eq!(app.status(), Some("resending #11 now (manual)"));
}

#[test]
fn capital_r_retries_all_failed_and_p_toggles_pause() {
    let mut app = app();
    let (mut tx, rx) = mpsc::channel();
    for command in [
        Command::RetryAllFailed,
        Command::TogglePause,
        Command::TogglePause,
    ] {
        let effect = app.handle(command).unwrap();
        app.perform(effect, &mut tx, None);
    }
    let sent: Vec<_> = rx.try_iter().collect();
    assert_eq!(
        sent,
        vec![
            ControlCommand::RetryAllFailed,
            ControlCommand::Pause,
            ControlCommand::Resume
        ]
    );
    assert!(!app.aggregate().is_paused());
}

#[test]
fn a_gone_dispatcher_is_reported_not_fatal() {
    let mut app = app();
    let (mut tx, rx) = mpsc::channel();
    drop(rx);
    let effect = app.handle(Command::TogglePause).unwrap();
    assert!(!app.perform(effect, &mut tx, None));
    assert_eq!(app.status(), Some("the dispatcher is not listening"));
}

#[test]
fn quit_stops_the_dispatcher_in_live_mode() {
    let mut app = app();
    let (mut tx, rx) = mpsc::channel();
    let effect = app.handle(Command::Quit).unwrap();
    assert!(app.perform(effect, &mut tx, None));
    assert_eq!(rx.try_recv(), Ok(ControlCommand::Stop));
}

#[test]
fn watch_mode_is_read_only() {
    let mut app = App::new(fixtures::header(), Mode::Watch, fixtures::options(true));
    for e in fixtures::run_with_retries() {
        app.apply_event(e);
    }
    app.refresh(None);
    let effect = app.handle(Command::ResendSelected).unwrap();
    assert!(!app.perform(effect, &mut NoControl, None));
    assert!(app.status().unwrap().contains("read-only"));
    let effect = app.handle(Command::Quit).unwrap();
    assert!(app.perform(effect, &mut NoControl, None));
}

#[test]
fn filter_sort_and_search_reset_the_selection() {
    let mut app = app();
    app.handle(Command::End);
    app.handle(Command::CycleFilter);
    assert_eq!(app.filter(), Filter::Failed);
    assert_eq!(app.selected(), 0);
    app.refresh(None);
    assert_eq!(app.page().total, 4);
    app.handle(Command::CycleSort);
    assert_eq!(app.sort(), SortKey::Oldest);

    app.handle(Command::StartSearch);
    assert_eq!(app.input_mode(), InputMode::Search);
    for c in "1012".chars() {
        app.handle(Command::SearchChar(c));
    }
    app.refresh(None);
    assert_eq!(app.page().total, 1);
    app.handle(Command::SearchBackspace);
    assert_eq!(app.search(), "101");
    app.handle(Command::SearchSubmit);
    assert_eq!(app.input_mode(), InputMode::Normal);
    assert_eq!(app.search(), "101");
    app.handle(Command::StartSearch);
    app.handle(Command::Close);
    assert_eq!(app.search(), "", "Esc clears the search");
    assert_eq!(app.input_mode(), InputMode::Normal);
}

#[test]
fn filters_cycle_through_kinds_present_in_the_run() {
    let mut app = app();
    let mut seen = Vec::new();
    for _ in 0..13 {
        app.handle(Command::CycleFilter);
        seen.push(app.filter());
    }
    assert_eq!(seen[3], Filter::Kind(veriff_mock_contract::Kind::Decision));
    assert_eq!(seen[11], Filter::All, "after the 8 kinds");
}

#[test]
fn the_detail_pane_reads_from_the_source_and_follows_the_selection() {
    let mut source = fixtures::source();
    let mut app = app();
    app.refresh(Some(&mut source));
    app.handle(Command::OpenDetail);
    assert_eq!(app.input_mode(), InputMode::Detail);
    app.refresh(Some(&mut source));
    let view = app.detail().unwrap();
    assert_eq!(view.id, DeliveryId(12));
    assert_eq!(view.detail.as_ref().unwrap().row.id, DeliveryId(12));
    app.handle(Command::ScrollDetailDown);
    assert_eq!(app.detail().unwrap().scroll, 10);
    app.handle(Command::Down);
    app.refresh(Some(&mut source));
    assert_eq!(app.detail().unwrap().id, DeliveryId(11));
    assert_eq!(app.detail().unwrap().scroll, 0);
    app.handle(Command::Close);
    assert!(app.detail().is_none());
    assert_eq!(app.input_mode(), InputMode::Normal);
}

#[test]
fn c_writes_the_selected_delivery_as_curl_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let mut source = fixtures::source();
    let mut app = App::new(
        fixtures::header(),
        Mode::Live,
        veriff_mock_tui::AppOptions {
            curl_dir: dir.path().join("curl"),
            ..fixtures::options(true)
        },
    );
    for e in fixtures::run_with_retries() {
        app.apply_event(e);
    }
    for c in "user-1004".chars() {
        app.handle(Command::SearchChar(c));
    }
    app.refresh(Some(&mut source));
    let effect = app.handle(Command::ExportCurl).unwrap();
    assert_eq!(effect, Effect::ExportCurl(DeliveryId(4)));
    app.perform(effect, &mut NoControl, Some(&mut source));
    let script = dir.path().join("curl/delivery-4.sh");
    assert_eq!(
        app.status(),
        Some(format!("curl written to {}", script.display()).as_str())
    );
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.contains(&format!("-H 'X-HMAC-SIGNATURE: {}'", fixtures::SIGNATURE)));
    let body = std::fs::read(dir.path().join("curl/delivery-4.body.json")).unwrap();
    assert_eq!(
        body,
        fixtures::detail_of_4(fixtures::row(
            4,
            veriff_mock_contract::Kind::Watchlist,
            "",
            None
        ))
        .request_body
    );

    // Without a store there is nothing to export: said, not fatal.
    let effect = app.handle(Command::ExportCurl).unwrap();
    app.perform(effect, &mut NoControl, None);
    assert_eq!(app.status(), Some("no store to read the request from"));
}

#[test]
fn help_opens_and_closes() {
    let mut app = app();
    app.handle(Command::ToggleHelp);
    assert_eq!(app.input_mode(), InputMode::Help);
    app.handle(Command::ToggleHelp);
    assert_eq!(app.input_mode(), InputMode::Normal);
    let _ = draw(&mut app, None, 80, 24);
}

#[test]
fn notices_show_in_the_footer() {
    let mut app = app();
    app.apply_event(veriff_mock_tui::TuiEvent::Notice(
        "resend: no delivery #99".to_owned(),
    ));
    assert_eq!(app.status(), Some("resend: no delivery #99"));
    let t = draw(&mut app, None, 80, 24);
    assert!(t.backend().to_string().contains("resend: no delivery #99"));
    app.handle(Command::Close);
    assert_eq!(app.status(), None, "Esc clears it");
}
