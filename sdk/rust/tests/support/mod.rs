//! Shared by the integration tests and the throughput example: the real service and its APIs.

#![allow(dead_code)]

pub mod api;
pub mod service;

use std::sync::{Mutex, MutexGuard};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Each test runs its own service; on a 2-core machine they take turns rather than fight.
pub fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
