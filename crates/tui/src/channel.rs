//! The two channels between the engine and the UI.
//!
//! Events flow to the UI through a bounded channel the producer only ever `try_send`s into
//! ([`UiSender::offer`]): when the UI is behind, the update is dropped and counted, and the
//! producer never waits. Only UI updates are lost: the store is the record of truth, and the UI
//! re-reads its table from the store. Commands flow back through any [`ControlSink`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

use crate::model::{ControlCommand, TuiEvent};

/// Default capacity of the UI event channel.
pub const DEFAULT_CAPACITY: usize = 65_536;

#[derive(Debug, Default)]
struct Shared {
    dropped: AtomicU64,
    close: AtomicBool,
}

/// The producer's end: cheap to clone, never blocks.
#[derive(Debug, Clone)]
pub struct UiSender {
    tx: mpsc::SyncSender<TuiEvent>,
    shared: Arc<Shared>,
}

/// The UI's end.
#[derive(Debug)]
pub struct UiReceiver {
    rx: mpsc::Receiver<TuiEvent>,
    shared: Arc<Shared>,
}

/// A bounded UI channel holding at most `capacity` pending events.
#[must_use]
pub fn ui_channel(capacity: usize) -> (UiSender, UiReceiver) {
    let (tx, rx) = mpsc::sync_channel(capacity.max(1));
    let shared = Arc::new(Shared::default());
    (
        UiSender {
            tx,
            shared: Arc::clone(&shared),
        },
        UiReceiver { rx, shared },
    )
}

impl UiSender {
    /// Offers an event without waiting. Returns `false` when it was dropped (UI behind, or gone).
    pub fn offer(&self, event: impl Into<TuiEvent>) -> bool {
        match self.tx.try_send(event.into()) {
            Ok(()) => true,
            Err(mpsc::TrySendError::Full(_)) => {
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
            Err(mpsc::TrySendError::Disconnected(_)) => false,
        }
    }

    /// Asks the UI to close at its next frame (for a Ctrl-C caught outside the UI, say).
    pub fn close_ui(&self) {
        self.shared.close.store(true, Ordering::Relaxed);
    }

    /// Updates dropped so far because the UI was behind.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

/// What [`UiReceiver::drain`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// More may come.
    Open,
    /// Every sender is gone: nothing more will come.
    Disconnected,
}

impl UiReceiver {
    /// Takes up to `budget` pending events without waiting.
    pub fn drain(&self, budget: usize, mut f: impl FnMut(TuiEvent)) -> Drained {
        for _ in 0..budget {
            match self.rx.try_recv() {
                Ok(event) => f(event),
                Err(mpsc::TryRecvError::Empty) => return Drained::Open,
                Err(mpsc::TryRecvError::Disconnected) => return Drained::Disconnected,
            }
        }
        Drained::Open
    }

    /// Updates dropped so far because the UI was behind.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// True once a sender asked the UI to close.
    #[must_use]
    pub fn close_requested(&self) -> bool {
        self.shared.close.load(Ordering::Relaxed)
    }
}

/// The control channel is closed: the dispatcher is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the dispatcher is not listening")]
pub struct ControlClosed;

/// Where the UI sends [`ControlCommand`]s. Sending never waits: a full channel is reported as an
/// error and shown in the status line.
pub trait ControlSink {
    /// Sends a command without waiting.
    ///
    /// # Errors
    /// [`ControlClosed`] when the receiver is gone or full.
    fn send_command(&mut self, command: ControlCommand) -> Result<(), ControlClosed>;
}

impl ControlSink for mpsc::Sender<ControlCommand> {
    fn send_command(&mut self, command: ControlCommand) -> Result<(), ControlClosed> {
        self.send(command).map_err(|_| ControlClosed)
    }
}

impl ControlSink for mpsc::SyncSender<ControlCommand> {
    fn send_command(&mut self, command: ControlCommand) -> Result<(), ControlClosed> {
        self.try_send(command).map_err(|_| ControlClosed)
    }
}

impl ControlSink for tokio::sync::mpsc::Sender<ControlCommand> {
    fn send_command(&mut self, command: ControlCommand) -> Result<(), ControlClosed> {
        self.try_send(command).map_err(|_| ControlClosed)
    }
}

impl ControlSink for tokio::sync::mpsc::UnboundedSender<ControlCommand> {
    fn send_command(&mut self, command: ControlCommand) -> Result<(), ControlClosed> {
        self.send(command).map_err(|_| ControlClosed)
    }
}

/// A sink for read-only views (watch mode): every command is refused.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoControl;

impl ControlSink for NoControl {
    fn send_command(&mut self, _command: ControlCommand) -> Result<(), ControlClosed> {
        Err(ControlClosed)
    }
}

impl<F> ControlSink for F
where
    F: FnMut(ControlCommand) -> Result<(), ControlClosed>,
{
    fn send_command(&mut self, command: ControlCommand) -> Result<(), ControlClosed> {
        self(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_channel_drops_and_counts_instead_of_blocking() {
        let (tx, rx) = ui_channel(2);
        assert!(tx.offer(TuiEvent::Finished));
        assert!(tx.offer(TuiEvent::Paused(true)));
        assert!(!tx.offer(TuiEvent::Paused(false)));
        assert_eq!(tx.dropped(), 1);
        assert_eq!(rx.dropped(), 1);
        let mut got = Vec::new();
        assert_eq!(rx.drain(10, |e| got.push(e)), Drained::Open);
        assert_eq!(got, vec![TuiEvent::Finished, TuiEvent::Paused(true)]);
        drop(tx);
        assert_eq!(rx.drain(10, |_| {}), Drained::Disconnected);
    }

    #[test]
    fn drain_respects_its_budget() {
        let (tx, rx) = ui_channel(10);
        for _ in 0..5 {
            tx.offer(TuiEvent::Finished);
        }
        let mut n = 0;
        rx.drain(3, |_| n += 1);
        assert_eq!(n, 3);
        rx.drain(3, |_| n += 1);
        assert_eq!(n, 5);
    }

    #[test]
    fn close_request_reaches_the_receiver() {
        let (tx, rx) = ui_channel(1);
        assert!(!rx.close_requested());
        tx.clone().close_ui();
        assert!(rx.close_requested());
    }

    #[test]
    fn control_sinks_send_without_waiting() {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let mut tx = tx;
        tx.send_command(ControlCommand::Pause).unwrap();
        assert_eq!(tx.send_command(ControlCommand::Resume), Err(ControlClosed));
        drop(rx);
        assert_eq!(tx.send_command(ControlCommand::Stop), Err(ControlClosed));
        assert_eq!(
            NoControl.send_command(ControlCommand::Stop),
            Err(ControlClosed)
        );
    }
}
