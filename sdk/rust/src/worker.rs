//! The background task: sends queued events in batches and runs the calls that must follow them.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::Deserialize;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use crate::builder::Config;
use crate::error::{Error, Result};
use crate::metrics::Counters;
use crate::queue::EventQueue;
use crate::transport::Transport;

const BATCH_PATH: &str = "api/analytics/batch";

/// State shared by the client handles and the background task.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) queue: Mutex<QueueState>,
    pub(crate) wake: Notify,
    pub(crate) counters: Counters,
}

/// The queue and the closed flag live under one lock, so an event is either queued before
/// `shutdown` closes the client (and then sent by it) or refused.
#[derive(Debug)]
pub(crate) struct QueueState {
    pub(crate) events: EventQueue,
    pub(crate) closed: bool,
}

impl Shared {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            queue: Mutex::new(QueueState {
                events: EventQueue::new(capacity),
                closed: false,
            }),
            wake: Notify::new(),
            counters: Counters::default(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, QueueState> {
        // No code panics while holding this lock; if one ever did, the queue is still a valid
        // VecDeque, and losing analytics is worse than using it.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Work the client hands to the background task, answered through the oneshot.
pub(crate) enum Command {
    /// Send everything queued so far.
    Flush(oneshot::Sender<Result<()>>),
    /// Send everything queued so far, then POST `body` to `path` (identify, alias, set), so the
    /// service sees the call after the events captured before it.
    Call {
        path: &'static str,
        body: Vec<u8>,
        reply: oneshot::Sender<Result<Vec<u8>>>,
    },
    /// Send everything queued so far and stop.
    Shutdown(oneshot::Sender<Result<()>>),
}

/// The service's answer to `/batch`.
#[derive(Deserialize, Default)]
struct BatchAnswer {
    #[serde(default)]
    rejected: Vec<Rejected>,
}

#[derive(Deserialize)]
struct Rejected {
    #[serde(default)]
    index: Option<u64>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The background task's state.
pub(crate) struct Worker {
    shared: Arc<Shared>,
    config: Arc<Config>,
    sender: Arc<BatchSender>,
}

/// Sends one batch and counts what became of its events; shared by the concurrent requests.
struct BatchSender {
    shared: Arc<Shared>,
    transport: Transport,
}

impl Worker {
    pub(crate) fn new(shared: Arc<Shared>, config: Arc<Config>, transport: Transport) -> Self {
        let sender = Arc::new(BatchSender {
            shared: shared.clone(),
            transport,
        });
        Self {
            shared,
            config,
            sender,
        }
    }

    /// Runs until `Shutdown`, or until every client handle is gone.
    pub(crate) async fn run(self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut ticker = tokio::time::interval(self.config.flush_interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticker.tick().await;

        loop {
            tokio::select! {
                biased;

                command = commands.recv() => match command {
                    Some(Command::Flush(reply)) => {
                        let _ = reply.send(self.flush_all().await);
                    }
                    Some(Command::Call { path, body, reply }) => {
                        let _ = self.flush_all().await;
                        let answer = self.sender.transport.post(path, || body.clone()).await;
                        let _ = reply.send(answer);
                    }
                    Some(Command::Shutdown(reply)) => {
                        let _ = reply.send(self.flush_all().await);
                        return;
                    }
                    None => {
                        // The client was dropped without shutdown(): send what is queued while
                        // the runtime lasts, within the same time limit shutdown() has.
                        let limit = self.config.shutdown_timeout;
                        let _ = tokio::time::timeout(limit, self.flush_all()).await;
                        return;
                    }
                },

                _ = self.shared.wake.notified() => {
                    if self.shared.lock().events.len() >= self.config.flush_at {
                        let _ = self.flush_all().await;
                    }
                }

                _ = ticker.tick() => {
                    let _ = self.flush_all().await;
                }
            }
        }
    }

    /// Sends the events queued when it starts (not those captured meanwhile, so a steady stream
    /// cannot keep it going forever), with up to `max_in_flight` requests at a time, and waits
    /// for all of them. Returns the last error, if a batch was given up.
    async fn flush_all(&self) -> Result<()> {
        let mut remaining = self.shared.lock().events.len();
        let mut in_flight = JoinSet::new();
        let mut outcome = Ok(());

        loop {
            while remaining > 0 && in_flight.len() < self.config.max_in_flight {
                let batch = {
                    let max_events = self.config.max_batch_size.min(remaining);
                    self.shared
                        .lock()
                        .events
                        .take(max_events, self.config.max_batch_bytes)
                };
                if batch.is_empty() {
                    remaining = 0;
                    break;
                }
                remaining = remaining.saturating_sub(batch.len());

                let sender = self.sender.clone();
                in_flight.spawn(async move { sender.send_batch(batch).await });
            }

            match in_flight.join_next().await {
                None => return outcome,
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(error))) => outcome = Err(error),
                // send_batch does not panic; if it ever did, its events are already counted as
                // neither sent nor failed, and the error says why.
                Some(Err(join_error)) => outcome = Err(Error::Transport(Box::new(join_error))),
            }
        }
    }
}

impl BatchSender {
    /// Sends one batch; a 413 splits it in halves until the halves fit.
    async fn send_batch(&self, batch: Vec<Vec<u8>>) -> Result<()> {
        let counters = &self.shared.counters;
        let mut pending = vec![batch];
        let mut outcome = Ok(());

        while let Some(batch) = pending.pop() {
            match self.transport.post(BATCH_PATH, || batch_body(&batch)).await {
                Ok(answer) => self.count_answer(batch.len(), &answer),

                Err(Error::Http { status: 413, .. }) if batch.len() > 1 => {
                    let mut first = batch;
                    let second = first.split_off(first.len() / 2);
                    pending.push(second);
                    pending.push(first);
                }

                Err(error @ Error::Http { status: 400, .. }) => {
                    tracing::warn!(events = batch.len(), %error, "loom-analytics: batch rejected");
                    Counters::add(&counters.rejected, batch.len());
                    outcome = Err(error);
                }

                Err(error) => {
                    tracing::error!(events = batch.len(), %error, "loom-analytics: events lost");
                    Counters::add(&counters.failed, batch.len());
                    outcome = Err(error);
                }
            }
        }
        outcome
    }

    fn count_answer(&self, events: usize, answer: &[u8]) {
        let counters = &self.shared.counters;
        // A 2xx means stored; an answer we cannot read still means that, so count it as sent.
        let answer: BatchAnswer = serde_json::from_slice(answer).unwrap_or_default();
        let rejected = answer.rejected.len().min(events);

        for item in answer.rejected.iter().take(5) {
            tracing::warn!(
                index = item.index,
                code = item.code.as_deref().unwrap_or("unknown"),
                message = item.message.as_deref().unwrap_or(""),
                "loom-analytics: event rejected by the service",
            );
        }

        Counters::add(&counters.rejected, rejected);
        Counters::add(&counters.sent, events - rejected);
    }
}

/// `{"batch":[…],"sent_at":"…"}` from already serialized events; `sent_at` lets the service
/// correct the client clock's skew.
fn batch_body(events: &[Vec<u8>]) -> Vec<u8> {
    let size = events.iter().map(|e| e.len() + 1).sum::<usize>() + 64;
    let mut body = Vec::with_capacity(size);
    body.extend_from_slice(b"{\"batch\":[");
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(event);
    }
    body.extend_from_slice(b"],\"sent_at\":\"");
    body.extend_from_slice(crate::event::now_rfc3339().as_bytes());
    body.extend_from_slice(b"\"}");
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_batch_body_the_service_can_parse() {
        let events = vec![br#"{"event":"a"}"#.to_vec(), br#"{"event":"b"}"#.to_vec()];
        let body: serde_json::Value = serde_json::from_slice(&batch_body(&events)).unwrap();
        assert_eq!(
            body["batch"],
            serde_json::json!([{"event": "a"}, {"event": "b"}])
        );
        assert!(body["sent_at"].as_str().unwrap().ends_with('Z'));
    }
}
