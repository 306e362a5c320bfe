//! The aggregate view: counts, percentiles, per-second rates, bounded memory, and row queries.

use std::time::Duration;

use veriff_mock_contract::Kind;
use veriff_mock_tui::{
    Aggregate, AttemptOutcome, DeliveryId, Filter, LatencyHistogram, Phase, RowCache, RowQuery,
    SortKey, TuiEvent,
};

use crate::fixtures::{self, at, row};

#[test]
fn counts_follow_each_delivery_through_its_phases() {
    let mut agg = Aggregate::default();
    for e in fixtures::run_with_retries() {
        agg.apply(e);
    }
    let c = agg.counts();
    assert_eq!(c.queued, 2, "8 and 9");
    assert_eq!(c.in_flight, 1, "7, resent by hand");
    assert_eq!(c.delivered, 4, "1, 2, 10, 11");
    assert_eq!(c.retrying, 3, "3, 4, 12");
    assert_eq!(c.exhausted, 1, "5");
    assert_eq!(c.expected_rejections, 1, "6");
    assert_eq!(c.total(), 12);
    assert_eq!(agg.attempts(), 13);
    // 7's manual resend is still on the wire: attempts, manual ones too, count once finished.
    assert_eq!(agg.manual_attempts(), 0);
    assert_eq!(agg.outcomes()[&AttemptOutcome::Status(200)], 4);
    assert_eq!(agg.outcomes()[&AttemptOutcome::Status(404)], 2);
    assert_eq!(agg.outcomes()[&AttemptOutcome::Error("timeout".into())], 1);
    assert_eq!(agg.kinds()[&Kind::Decision], 5);
    assert_eq!(agg.phase(DeliveryId(7)), Some(Phase::InFlight));
}

#[test]
fn a_manual_resend_of_an_exhausted_delivery_moves_it_out_of_exhausted() {
    let mut agg = Aggregate::default();
    agg.apply(TuiEvent::Queued(row(1, Kind::Decision, "approved", None)));
    agg.apply(TuiEvent::Exhausted {
        id: DeliveryId(1),
        at: at(1),
    });
    assert_eq!(agg.counts().exhausted, 1);
    agg.apply(TuiEvent::AttemptStarted {
        id: DeliveryId(1),
        attempt: 9,
        manual: true,
        at: at(2),
    });
    assert_eq!(agg.counts().exhausted, 0);
    assert_eq!(agg.counts().in_flight, 1);
    agg.apply(TuiEvent::Delivered {
        id: DeliveryId(1),
        at: at(3),
    });
    assert_eq!(agg.counts().delivered, 1);
    assert_eq!(agg.counts().total(), 1);
    assert_eq!(agg.rows().get(DeliveryId(1)).unwrap().attempts, 9);
}

#[test]
fn a_resend_of_a_delivered_delivery_leaves_it_delivered() {
    let mut agg = Aggregate::default();
    agg.apply(TuiEvent::Queued(row(1, Kind::Decision, "approved", None)));
    agg.apply(TuiEvent::Delivered {
        id: DeliveryId(1),
        at: at(1),
    });
    agg.apply(TuiEvent::AttemptStarted {
        id: DeliveryId(1),
        attempt: 2,
        manual: true,
        at: at(2),
    });
    assert_eq!(agg.counts().in_flight, 1, "on the wire meanwhile");
    // The engine sends no phase event: a delivered delivery stays delivered.
    agg.apply(TuiEvent::AttemptFinished {
        id: DeliveryId(1),
        attempt: 2,
        outcome: AttemptOutcome::Status(200),
        latency: Duration::from_millis(1),
        manual: true,
        at: at(3),
    });
    let c = agg.counts();
    assert_eq!((c.delivered, c.in_flight, c.total()), (1, 0, 1));
    // Likewise an exhausted one whose resend fails again.
    agg.apply(TuiEvent::Queued(row(2, Kind::Decision, "approved", None)));
    agg.apply(TuiEvent::Exhausted {
        id: DeliveryId(2),
        at: at(4),
    });
    agg.apply(TuiEvent::AttemptStarted {
        id: DeliveryId(2),
        attempt: 7,
        manual: true,
        at: at(5),
    });
    agg.apply(TuiEvent::AttemptFinished {
        id: DeliveryId(2),
        attempt: 7,
        outcome: AttemptOutcome::Status(500),
        latency: Duration::from_millis(1),
        manual: true,
        at: at(6),
    });
    let c = agg.counts();
    assert_eq!((c.exhausted, c.in_flight, c.total()), (1, 0, 2));
    assert_eq!((agg.attempts(), agg.manual_attempts()), (2, 2));
}

#[test]
fn an_unexpected_acceptance_is_a_failure_of_its_own() {
    let mut agg = Aggregate::default();
    agg.apply(TuiEvent::Queued(row(1, Kind::Decision, "approved", None)));
    agg.apply(TuiEvent::AttemptStarted {
        id: DeliveryId(1),
        attempt: 1,
        manual: false,
        at: at(1),
    });
    agg.apply(TuiEvent::Unexpected {
        id: DeliveryId(1),
        at: at(2),
    });
    let c = agg.counts();
    assert_eq!((c.unexpected, c.in_flight, c.total()), (1, 0, 1));
    let r = agg.rows().get(DeliveryId(1)).unwrap();
    assert!(r.is_failed());
    assert!(Filter::Failed.matches(r));
    assert!(r.phase.is_final());
}

#[test]
fn events_for_unseen_deliveries_are_counted_not_rejected() {
    // Watch mode may start mid-run, and dropped UI updates may lose a `Queued`.
    let mut agg = Aggregate::default();
    agg.apply(TuiEvent::Delivered {
        id: DeliveryId(77),
        at: at(0),
    });
    assert_eq!(agg.counts().delivered, 1);
    assert!(agg.rows().is_empty());
}

#[test]
fn percentiles_are_within_five_percent() {
    let mut h = LatencyHistogram::default();
    for ms in 1..=1000u64 {
        h.record(Duration::from_millis(ms));
    }
    let close = |got: Duration, want_ms: f64| {
        let got = got.as_secs_f64() * 1000.0;
        assert!(
            (got - want_ms).abs() / want_ms <= 0.05,
            "{got} vs {want_ms}"
        );
    };
    close(h.percentile(0.5).unwrap(), 500.0);
    close(h.percentile(0.9).unwrap(), 900.0);
    close(h.percentile(0.99).unwrap(), 990.0);
    assert_eq!(h.max(), Some(Duration::from_millis(1000)));
    assert_eq!(h.min(), Some(Duration::from_millis(1)));
    assert_eq!(h.count(), 1000);
    close(h.mean().unwrap(), 500.5);
    let bins = h.bins(10);
    assert_eq!(bins.len(), 10);
    assert_eq!(bins.iter().map(|(_, n)| n).sum::<u64>(), 1000);
    assert!(LatencyHistogram::default().percentile(0.5).is_none());
}

#[test]
fn extremes_are_exact_and_bins_no_finer_than_the_buckets() {
    // Few attempts: p99 is the slowest, not the middle of its bucket.
    let mut h = LatencyHistogram::default();
    for us in [602, 857, 501_000, 501_300] {
        h.record(Duration::from_micros(us));
    }
    assert_eq!(h.percentile(0.99), Some(Duration::from_micros(501_300)));
    assert_eq!(h.percentile(0.0), Some(Duration::from_micros(602)));
    // Six latencies between 5.0007 s and 5.0044 s share one 5 % bucket: one bin holds them all,
    // with a bound at or above the slowest.
    let mut h = LatencyHistogram::default();
    for us in [
        5_000_700, 5_001_000, 5_001_500, 5_002_000, 5_003_000, 5_004_400,
    ] {
        h.record(Duration::from_micros(us));
    }
    let bins = h.bins(8);
    assert_eq!(bins.len(), 1, "{bins:?}");
    assert_eq!(bins[0].1, 6);
    assert!(bins[0].0 >= Duration::from_micros(5_004_400), "{bins:?}");
}

#[test]
fn percentile_of_one_value_is_that_value() {
    let mut h = LatencyHistogram::default();
    h.record(Duration::from_micros(1234));
    assert_eq!(h.percentile(0.0), Some(Duration::from_micros(1234)));
    assert_eq!(h.percentile(1.0), Some(Duration::from_micros(1234)));
    assert_eq!(h.percentile(f64::NAN), Some(Duration::from_micros(1234)));
}

#[test]
fn per_second_rates_come_from_event_times() {
    let mut agg = Aggregate::default();
    // 3 deliveries in second 10, 1 in second 11, none in 12, 2 in 13.
    let seconds = [10, 10, 10, 11, 13, 13];
    for (i, s) in seconds.iter().enumerate() {
        let id = u64::try_from(i).unwrap();
        agg.apply(TuiEvent::Queued(row(id, Kind::Event, "started", None)));
        agg.apply(TuiEvent::AttemptFinished {
            id: DeliveryId(id),
            attempt: 1,
            outcome: AttemptOutcome::Status(200),
            latency: Duration::from_millis(5),
            manual: false,
            at: at(s * 1000 + 100),
        });
        agg.apply(TuiEvent::Delivered {
            id: DeliveryId(id),
            at: at(s * 1000 + 100),
        });
    }
    let base = fixtures::start().timestamp();
    let series: Vec<u64> = agg
        .rates()
        .series(base + 13, 5)
        .iter()
        .map(|s| s.delivered)
        .collect();
    assert_eq!(series, vec![0, 3, 1, 0, 2]);
    assert!((agg.rates().delivered_per_second(base + 13, 4) - 1.5).abs() < 1e-9);
    assert!((agg.rates().attempts_per_second(base + 13, 2) - 1.0).abs() < 1e-9);
    assert_eq!(agg.rates().newest(), Some(base + 13));
}

#[test]
fn the_rate_window_forgets_old_seconds_and_ignores_too_old_events() {
    let mut agg = Aggregate::default();
    agg.apply(TuiEvent::Delivered {
        id: DeliveryId(1),
        at: at(0),
    });
    agg.apply(TuiEvent::Delivered {
        id: DeliveryId(2),
        at: at(10_000_000),
    });
    // An event from long before the window: counted, but not in the window.
    agg.apply(TuiEvent::Delivered {
        id: DeliveryId(3),
        at: at(5_000),
    });
    let base = fixtures::start().timestamp();
    let total: u64 = agg
        .rates()
        .series(base + 10_000, 400)
        .iter()
        .map(|s| s.delivered)
        .sum();
    assert_eq!(total, 1);
    assert_eq!(agg.counts().delivered, 3);
}

#[test]
fn feeding_100_000_deliveries_keeps_the_row_cache_bounded() {
    let mut agg = Aggregate::new(1024);
    for i in 0..100_000u64 {
        let id = DeliveryId(i);
        agg.apply(TuiEvent::Queued(row(
            i,
            Kind::Decision,
            "approved",
            Some("v"),
        )));
        agg.apply(TuiEvent::AttemptStarted {
            id,
            attempt: 1,
            manual: false,
            at: at(0),
        });
        let ok = i % 10 != 0;
        agg.apply(TuiEvent::AttemptFinished {
            id,
            attempt: 1,
            outcome: AttemptOutcome::Status(if ok { 200 } else { 503 }),
            latency: Duration::from_micros(1_000 + i % 5_000),
            manual: false,
            at: at(i64::try_from(i).unwrap()),
        });
        if ok {
            agg.apply(TuiEvent::Delivered {
                id,
                at: at(i64::try_from(i).unwrap()),
            });
        } else {
            agg.apply(TuiEvent::RetryScheduled {
                id,
                at: at(1_000_000),
            });
        }
        assert!(agg.rows().len() <= 1024);
        assert!(agg.rows().bookkeeping_len() <= 4 * 1024 + 1);
    }
    assert_eq!(agg.rows().len(), 1024);
    assert_eq!(agg.counts().delivered, 90_000);
    assert_eq!(agg.counts().retrying, 10_000);
    assert_eq!(agg.counts().total(), 100_000);
    assert_eq!(agg.attempts(), 100_000);
    assert_eq!(agg.outcomes().len(), 2);
    // The newest rows are the ones kept.
    assert!(agg.rows().get(DeliveryId(99_999)).is_some());
    assert!(agg.rows().get(DeliveryId(0)).is_none());
}

#[test]
fn the_row_cache_evicts_the_least_recently_touched() {
    let mut cache = RowCache::new(2);
    cache.insert(row(1, Kind::Event, "started", None));
    cache.insert(row(2, Kind::Event, "started", None));
    cache.update(DeliveryId(1), |r| r.attempts = 3);
    cache.insert(row(3, Kind::Event, "started", None));
    assert!(cache.get(DeliveryId(2)).is_none());
    assert_eq!(cache.get(DeliveryId(1)).unwrap().attempts, 3);
    assert!(cache.get(DeliveryId(3)).is_some());
    // Updates to evicted rows are left to the store.
    cache.update(DeliveryId(2), |r| r.attempts = 9);
    assert!(cache.get(DeliveryId(2)).is_none());
    for _ in 0..100 {
        cache.update(DeliveryId(1), |r| r.attempts += 1);
    }
    assert!(cache.bookkeeping_len() <= 9);
}

fn rows_after_run() -> Vec<veriff_mock_tui::DeliveryRow> {
    let mut agg = Aggregate::default();
    for e in fixtures::run_with_retries() {
        agg.apply(e);
    }
    agg.rows().iter().cloned().collect()
}

fn ids(page: &veriff_mock_tui::RowPage) -> Vec<u64> {
    page.rows.iter().map(|r| r.id.0).collect()
}

#[test]
fn queries_filter_search_sort_and_page() {
    let rows = rows_after_run();
    let q = |filter, search: &str, sort, offset, limit| RowQuery {
        filter,
        search: search.to_owned(),
        sort,
        offset,
        limit,
    };
    let page = q(Filter::All, "", SortKey::Newest, 0, 3).run(&rows);
    assert_eq!((ids(&page), page.total), (vec![12, 11, 10], 12));
    let page = q(Filter::All, "", SortKey::Newest, 10, 5).run(&rows);
    assert_eq!(ids(&page), vec![2, 1]);
    let page = q(Filter::All, "", SortKey::Oldest, 0, 2).run(&rows);
    assert_eq!(ids(&page), vec![1, 2]);
    let page = q(Filter::Failed, "", SortKey::Oldest, 0, 10).run(&rows);
    assert_eq!(ids(&page), vec![3, 4, 5, 12]);
    let page = q(Filter::Retrying, "", SortKey::NextRetry, 0, 10).run(&rows);
    assert_eq!(ids(&page), vec![3, 4, 12], "soonest retry first");
    let page = q(Filter::Delivered, "", SortKey::Oldest, 0, 10).run(&rows);
    assert_eq!(ids(&page), vec![1, 2, 10, 11]);
    let page = q(Filter::Kind(Kind::Decision), "", SortKey::Oldest, 0, 10).run(&rows);
    assert_eq!(ids(&page), vec![1, 3, 5, 10, 12]);
    let page = q(Filter::All, "USER-100", SortKey::Oldest, 0, 10).run(&rows);
    assert_eq!(
        page.total, 7,
        "vendorData, case-insensitive (5 and 8 have none)"
    );
    let page = q(
        Filter::All,
        &fixtures::session(5)[..13],
        SortKey::Oldest,
        0,
        10,
    )
    .run(&rows);
    assert_eq!(ids(&page), vec![5], "session id");
    let page = q(Filter::All, "", SortKey::Latency, 0, 1).run(&rows);
    assert_eq!(ids(&page), vec![4], "90 ms is the slowest last attempt");
    let page = q(Filter::All, "", SortKey::Attempts, 0, 4).run(&rows);
    assert_eq!(
        page.rows.iter().map(|r| r.attempts).collect::<Vec<_>>(),
        vec![2, 2, 2, 2]
    );
    let page = q(Filter::All, "", SortKey::Status, 0, 2).run(&rows);
    assert_eq!(ids(&page), vec![3, 7], "503, then 502");
    let page = q(Filter::All, "", SortKey::Newest, 50, 5).run(&rows);
    assert_eq!((page.rows.len(), page.total), (0, 12));
}

#[test]
fn filters_cycle_through_the_kinds_seen() {
    let kinds = [Kind::Decision, Kind::Watchlist];
    let mut f = Filter::All;
    let mut seen = Vec::new();
    for _ in 0..7 {
        f = f.next(&kinds);
        seen.push(f);
    }
    assert_eq!(
        seen,
        vec![
            Filter::Failed,
            Filter::Retrying,
            Filter::Delivered,
            Filter::Kind(Kind::Decision),
            Filter::Kind(Kind::Watchlist),
            Filter::All,
            Filter::Failed
        ]
    );
    assert_eq!(Filter::Delivered.next(&[]), Filter::All);
    let mut s = SortKey::Newest;
    for _ in 0..6 {
        s = s.next();
    }
    assert_eq!(s, SortKey::Newest);
}
