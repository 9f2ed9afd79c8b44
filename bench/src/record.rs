//! Where subscribers record what they parsed: (event key, instant) pairs in a few shards, so that
//! thousands of subscriber tasks on two threads rarely contend.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Shards of the sample store.
const SHARDS: usize = 64;

/// One delivery: which change (its key) and when it was parsed.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// The change's key (its `since`, in nanoseconds since the epoch).
    pub key: u64,
    /// Generator clock at parse time.
    pub at: u64,
}

/// Everything the subscribers report.
#[derive(Debug)]
pub struct Recorder {
    /// Samples, sharded by subscriber index.
    shards: Vec<Mutex<Vec<Sample>>>,
    /// Deliveries recorded since the last drain.
    pub delivered: AtomicU64,
    /// Subscribers whose stream is open and whose first event arrived.
    pub ready: AtomicU64,
    /// Subscribers that failed (connect, status, parse, or closed stream).
    pub failed: AtomicU64,
    /// Why the first few failed.
    pub reasons: Mutex<Vec<String>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            shards: (0..SHARDS).map(|_| Mutex::new(Vec::new())).collect(),
            delivered: AtomicU64::new(0),
            ready: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            reasons: Mutex::new(Vec::new()),
        }
    }
}

impl Recorder {
    /// Records one delivery for subscriber `idx`.
    pub fn record(&self, idx: usize, key: u64, at: u64) {
        let mut shard = self.shards[idx % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        shard.push(Sample { key, at });
        drop(shard);
        self.delivered.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failed subscriber and keeps the first reasons.
    pub fn fail(&self, why: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut r = self.reasons.lock().unwrap_or_else(|e| e.into_inner());
        if r.len() < 5 {
            r.push(why);
        }
    }

    /// Takes every sample recorded so far and resets the delivery count.
    pub fn drain(&self) -> Vec<Sample> {
        let mut all = Vec::new();
        for s in &self.shards {
            let mut shard = s.lock().unwrap_or_else(|e| e.into_inner());
            all.append(&mut shard);
        }
        self.delivered.store(0, Ordering::Relaxed);
        all
    }
}
