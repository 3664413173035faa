//! The bounded in-memory queue between `capture` and the background sender.

use std::collections::VecDeque;

/// Serialized events waiting to be sent, oldest first, never more than `capacity`.
///
/// When full, a push drops the oldest event: under a long outage the newest data is usually the
/// most useful, and the caller's memory stays bounded. Every drop is counted.
#[derive(Debug)]
pub(crate) struct EventQueue {
    items: VecDeque<Vec<u8>>,
    capacity: usize,
    dropped: u64,
}

impl EventQueue {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            items: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
            dropped: 0,
        }
    }

    /// Appends an event, dropping the oldest if the queue is full. Returns the new length.
    pub(crate) fn push(&mut self, event: Vec<u8>) -> usize {
        if self.items.len() >= self.capacity {
            self.items.pop_front();
            self.dropped += 1;
        }
        self.items.push_back(event);
        self.items.len()
    }

    /// Removes up to `max_events` of the oldest events whose sizes add up to at most
    /// `max_bytes`; the first event is always taken, whatever its size, so an event never
    /// blocks the queue.
    pub(crate) fn take(&mut self, max_events: usize, max_bytes: usize) -> Vec<Vec<u8>> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while let Some(next) = self.items.front() {
            let full = batch.len() >= max_events || bytes + next.len() > max_bytes;
            if full && !batch.is_empty() {
                break;
            }
            bytes += next.len();
            batch.extend(self.items.pop_front());
        }
        batch
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// How many events overflow has dropped since the queue was made.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u8) -> Vec<u8> {
        vec![n]
    }

    #[test]
    fn keeps_order() {
        let mut queue = EventQueue::new(10);
        for n in 0..5 {
            queue.push(event(n));
        }
        assert_eq!(queue.take(3, usize::MAX), [event(0), event(1), event(2)]);
        assert_eq!(queue.take(10, usize::MAX), [event(3), event(4)]);
        assert!(queue.take(10, usize::MAX).is_empty());
    }

    #[test]
    fn drops_the_oldest_when_full_and_counts_it() {
        let mut queue = EventQueue::new(3);
        for n in 0..5 {
            queue.push(event(n));
        }
        assert_eq!(queue.len(), 3);
        assert_eq!(queue.dropped(), 2);
        assert_eq!(queue.take(10, usize::MAX), [event(2), event(3), event(4)]);
    }

    #[test]
    fn caps_a_batch_by_bytes_but_always_takes_one() {
        let mut queue = EventQueue::new(10);
        queue.push(vec![0; 100]);
        queue.push(vec![1; 10]);
        queue.push(vec![2; 10]);
        assert_eq!(queue.take(10, 50).len(), 1);
        assert_eq!(queue.take(10, 20).len(), 2);
    }

    #[test]
    fn a_zero_capacity_still_holds_one_event() {
        let mut queue = EventQueue::new(0);
        queue.push(event(1));
        queue.push(event(2));
        assert_eq!(queue.take(10, usize::MAX), [event(2)]);
    }
}
