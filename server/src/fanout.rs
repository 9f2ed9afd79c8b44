//! Fan-out of live events inside one process: per customer, one shared in-memory tail of the
//! newest committed events, each already encoded as its SSE frame, filled by one reader.
//!
//! The tail is a cache of the store's event log, never its source of truth: it is filled only by
//! reading committed rows back from the store (after a local commit's wake-up, or every
//! [`POLL`] as a safety net for writes this process was not told about: admin commands, other
//! nodes sharing the database). So one change costs one read and one encoding per customer and
//! process, whatever the number of subscribers; every stream copies (or just shares) the bytes.
//!
//! A [`Tail`] knows every event of its customer with an id in `(floor, head]`. A stream whose
//! cursor is at or after `floor` takes what is due from it ([`Tail::take`]), coalesced into one
//! chunk; a stream further behind (a slow subscriber, an old resume) reads the store instead, as
//! the log is its buffer.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use axum::body::Bytes;
use tokio::sync::{Notify, watch};

use ucclient_core::api::AccessEndReason;

use crate::store::{END_OF_ACCESS, EndOfAccess, LoggedEvent, Store, StoreResult};

/// Events kept per customer in memory (older ones are read from the store).
pub const TAIL_CAP: usize = 1024;
/// Events read from the store at a time by a tail's reader.
const READ_PAGE: i64 = 256;
/// How often a reader re-reads the log even without a local wake-up: the bound on how late a
/// change written by another process (an admin command, another node) reaches live streams when
/// nothing local follows it. One indexed read per customer with live streams per poll.
pub const POLL: Duration = Duration::from_secs(2);

/// Encodes one event as its SSE frame: `event:`, `id:`, one `data:` line per line of data, and
/// the blank line that dispatches it.
pub fn frame(kind: &str, id: i64, data: &str) -> Bytes {
    let mut b = Vec::with_capacity(kind.len() + data.len() + 40);
    b.extend_from_slice(b"event: ");
    b.extend(kind.bytes().filter(|c| *c != b'\n' && *c != b'\r'));
    b.extend_from_slice(b"\nid: ");
    b.extend_from_slice(id.to_string().as_bytes());
    b.push(b'\n');
    for line in data.split('\n') {
        b.extend_from_slice(b"data: ");
        b.extend(line.bytes().filter(|c| *c != b'\r'));
        b.push(b'\n');
    }
    b.push(b'\n');
    Bytes::from(b)
}

/// One cached event.
struct Entry {
    /// Its id in the customer's stream.
    id: i64,
    /// `None`: everyone of the customer; `Some(user)`: only that user.
    audience: Option<Box<str>>,
    /// Its encoded frame, shared by every stream that sends it (empty for an end of access).
    frame: Bytes,
    /// An [`END_OF_ACCESS`] marker: ends its user's streams (or one session's) instead of
    /// being sent.
    end: Option<EndOfAccess>,
}

/// The cached window: every event with an id in `(floor, head]`, oldest first.
struct Window {
    entries: VecDeque<Entry>,
    floor: i64,
    head: i64,
}

/// What a stream gets from the tail.
#[derive(Debug, PartialEq, Eq)]
pub enum Take {
    /// The cursor is older than the cached window: read the store.
    Behind,
    /// Every frame due after the cursor that the user may see (at most about `max_bytes`, always
    /// at least one when any is due) as one chunk, and the cursor to continue from.
    Ready {
        /// The frames, or `None` when nothing visible was due.
        chunk: Option<Bytes>,
        /// The new cursor (never lower than the old one).
        cursor: i64,
    },
    /// The user's access ended (an [`END_OF_ACCESS`] marker after the stream opened, for every
    /// session of the user or for the stream's own): send the frames due before it, then end the
    /// stream.
    Ended {
        /// The frames due before the marker, if any.
        chunk: Option<Bytes>,
        /// Why access ended.
        reason: AccessEndReason,
    },
}

/// One customer's shared tail of its event log.
pub struct Tail {
    window: RwLock<Window>,
    /// The newest id read; streams wait on its changes.
    head: watch::Sender<i64>,
}

impl Tail {
    /// An empty tail whose window starts at `head` (the newest id of the log when it is made).
    pub fn new(head: i64) -> Tail {
        Tail {
            window: RwLock::new(Window {
                entries: VecDeque::new(),
                floor: head,
                head,
            }),
            head: watch::channel(head).0,
        }
    }

    /// The newest id read.
    pub fn head(&self) -> i64 {
        self.read().head
    }

    /// The oldest id a stream may stand at and still be served from memory.
    pub fn floor(&self) -> i64 {
        self.read().floor
    }

    /// Waits for changes of the head.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.head.subscribe()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Window> {
        self.window.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends events read from the store (oldest first), given the id the log was pruned through
    /// when they were read; wakes the streams when anything changed.
    ///
    /// If the log was pruned past the head, events between were lost to this cache: the window is
    /// emptied and starts again at the pruned id, so streams older than it go to the store (and
    /// get a snapshot there).
    pub fn append(&self, events: Vec<LoggedEvent>, pruned: i64) {
        let head = {
            let mut w = self.window.write().unwrap_or_else(|e| e.into_inner());
            let before = w.head;
            if pruned > w.head {
                w.entries.clear();
                w.floor = pruned;
                w.head = pruned;
            }
            for e in events {
                if e.id <= w.head {
                    continue;
                }
                let end = (e.kind == END_OF_ACCESS).then(|| EndOfAccess::parse(&e.data));
                w.entries.push_back(Entry {
                    id: e.id,
                    audience: e.audience.map(String::into_boxed_str),
                    frame: if end.is_some() {
                        Bytes::new()
                    } else {
                        frame(&e.kind, e.id, &e.data)
                    },
                    end,
                });
                w.head = e.id;
            }
            while w.entries.len() > TAIL_CAP {
                if let Some(old) = w.entries.pop_front() {
                    w.floor = old.id;
                }
            }
            if w.head == before {
                return;
            }
            w.head
        };
        self.head.send_replace(head);
    }

    /// What is due for `user` after `cursor`, coalesced into one chunk of about `max_bytes` at
    /// most (one frame larger than that still goes alone), for a stream of the session with the
    /// key `session` opened when the log's newest id was `opened`: an end-of-access marker of the
    /// user (for all sessions, or for this one) after `opened` ends it; older markers (a resume
    /// over an access that was ended and given back) and other sessions' markers are skipped.
    pub fn take(
        &self,
        user: &str,
        session: &str,
        cursor: i64,
        max_bytes: usize,
        opened: i64,
    ) -> Take {
        let w = self.read();
        if cursor < w.floor {
            return Take::Behind;
        }
        let start = w.entries.partition_point(|e| e.id <= cursor);
        let mut first: Option<&Bytes> = None;
        let mut joined: Vec<u8> = Vec::new();
        let mut size = 0;
        let mut to = cursor.max(w.head);
        let mut examined = cursor;
        let mut ended = None;
        for e in w.entries.range(start..) {
            let skipped_end = e
                .end
                .as_ref()
                .is_some_and(|m| e.id <= opened || !m.ends(session));
            if e.audience.as_deref().is_some_and(|a| a != user) || skipped_end {
                examined = e.id;
                continue;
            }
            if let Some(m) = &e.end {
                ended = Some(m.reason);
                break;
            }
            if size > 0 && size + e.frame.len() > max_bytes {
                to = examined;
                break;
            }
            match first {
                None => first = Some(&e.frame),
                Some(f) => {
                    if joined.is_empty() {
                        joined.reserve(f.len() + e.frame.len());
                        joined.extend_from_slice(f);
                    }
                    joined.extend_from_slice(&e.frame);
                }
            }
            size += e.frame.len();
            examined = e.id;
        }
        let chunk = match first {
            None => None,
            Some(f) if joined.is_empty() => Some(f.clone()),
            Some(_) => Some(Bytes::from(joined)),
        };
        if let Some(reason) = ended {
            return Take::Ended { chunk, reason };
        }
        Take::Ready { chunk, cursor: to }
    }
}

/// A live tail and the wake-up of its reader.
struct TailRef {
    tail: Weak<Tail>,
    wake: Arc<Notify>,
}

/// The tails of this process, one per customer with live streams; each has one reader task that
/// ends once no stream holds its tail any more.
#[derive(Default)]
pub struct Tails {
    map: Mutex<HashMap<String, TailRef>>,
}

impl Tails {
    /// Wakes the reader of the customer's tail, if there is one (after a commit that logged events).
    pub fn notify(&self, customer_id: &str) {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = map.get(customer_id) {
            t.wake.notify_one();
        }
    }

    /// The customer's tail, made (starting at the log's newest id) with its reader when there is
    /// none.
    pub async fn get(
        self: &Arc<Self>,
        store: &Arc<dyn Store>,
        customer_id: &str,
    ) -> StoreResult<Arc<Tail>> {
        if let Some(t) = self.live(customer_id) {
            return Ok(t);
        }
        let (last, _) = store.stream_bounds(customer_id).await?;
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = map.get(customer_id).and_then(|r| r.tail.upgrade()) {
            return Ok(t);
        }
        let tail = Arc::new(Tail::new(last));
        let wake = Arc::new(Notify::new());
        map.insert(
            customer_id.to_owned(),
            TailRef {
                tail: Arc::downgrade(&tail),
                wake: wake.clone(),
            },
        );
        drop(map);
        tokio::spawn(run_reader(
            self.clone(),
            Arc::downgrade(&tail),
            wake,
            store.clone(),
            customer_id.to_owned(),
        ));
        Ok(tail)
    }

    fn live(&self, customer_id: &str) -> Option<Arc<Tail>> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(customer_id).and_then(|r| r.tail.upgrade())
    }

    /// Customers with a tail entry (live or not yet cleaned up).
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether there is no tail.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads every new row of the customer's log into `tail` until nothing is left.
pub async fn fill(tail: &Tail, store: &dyn Store, customer_id: &str) -> StoreResult<()> {
    loop {
        let (events, pruned) = store.log_after(customer_id, tail.head(), READ_PAGE).await?;
        let full = events.len() as i64 >= READ_PAGE;
        tail.append(events, pruned);
        if !full {
            return Ok(());
        }
    }
}

/// The one reader of a customer's tail: fills it at once, then after every wake-up and every
/// [`POLL`]; ends (removing the tail's entry) when no stream holds the tail.
async fn run_reader(
    tails: Arc<Tails>,
    tail: Weak<Tail>,
    wake: Arc<Notify>,
    store: Arc<dyn Store>,
    customer_id: String,
) {
    loop {
        {
            let Some(t) = tail.upgrade() else { break };
            if let Err(e) = fill(&t, store.as_ref(), &customer_id).await {
                tracing::error!(error = %e, "reading the event log");
            }
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
    let mut map = tails.map.lock().unwrap_or_else(|e| e.into_inner());
    if map
        .get(&customer_id)
        .is_some_and(|r| r.tail.strong_count() == 0)
    {
        map.remove(&customer_id);
    }
}

// --- pg-doorbell: waking every reader (issue 16) ---

impl Tails {
    /// Wakes the reader of every tail: rings from other nodes may have been lost (the doorbell's
    /// connection dropped), so each customer with live streams here re-reads its log now rather
    /// than at its next [`POLL`].
    pub fn notify_all(&self) {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        for t in map.values() {
            t.wake.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: i64, audience: Option<&str>) -> LoggedEvent {
        LoggedEvent {
            id,
            audience: audience.map(str::to_owned),
            kind: "presence".into(),
            data: format!("{{\"n\":{id}}}"),
        }
    }

    fn text(t: &Take) -> String {
        match t {
            Take::Ready {
                chunk: Some(c),
                cursor: _,
            } => String::from_utf8(c.to_vec()).unwrap(),
            _ => String::new(),
        }
    }

    fn ids(t: &Take) -> Vec<i64> {
        text(t)
            .lines()
            .filter_map(|l| l.strip_prefix("id: "))
            .map(|s| s.parse().unwrap())
            .collect()
    }

    fn cursor(t: &Take) -> i64 {
        match t {
            Take::Ready { cursor, .. } => *cursor,
            Take::Behind | Take::Ended { .. } => panic!("not ready: {t:?}"),
        }
    }

    #[test]
    fn frames_are_sse_events_with_one_data_line_per_line() {
        assert_eq!(
            &frame("presence", 7, "{\"a\":1}")[..],
            b"event: presence\nid: 7\ndata: {\"a\":1}\n\n"
        );
        assert_eq!(
            &frame("x", 1, "a\nb\r")[..],
            b"event: x\nid: 1\ndata: a\ndata: b\n\n"
        );
    }

    fn end_of_access(id: i64, user: &str) -> LoggedEvent {
        let e = crate::store::end_of_access("acme", user, AccessEndReason::NotLicensed, None);
        LoggedEvent {
            id,
            audience: e.audience,
            kind: e.kind.into(),
            data: e.data,
        }
    }

    fn logout(id: i64, user: &str, session: &str) -> LoggedEvent {
        let e = crate::store::end_of_access(
            "acme",
            user,
            AccessEndReason::SignedOut,
            Some(session.into()),
        );
        LoggedEvent {
            id,
            audience: e.audience,
            kind: e.kind.into(),
            data: e.data,
        }
    }

    #[test]
    fn an_end_of_access_after_the_opening_ends_only_its_users_streams() {
        let tail = Tail::new(0);
        tail.append(
            vec![
                ev(1, None),
                ev(2, None),
                end_of_access(3, "ana"),
                ev(4, None),
            ],
            0,
        );
        // Ana's stream opened at 0: she gets what came before the marker, then the end with its
        // reason; the marker itself is never sent.
        match tail.take("ana", "s", 0, 1 << 16, 0) {
            Take::Ended {
                chunk: Some(c),
                reason: AccessEndReason::NotLicensed,
            } => {
                let text = String::from_utf8(c.to_vec()).unwrap();
                assert_eq!(
                    ids(&Take::Ready {
                        chunk: Some(c),
                        cursor: 0
                    }),
                    [1, 2]
                );
                assert!(!text.contains(END_OF_ACCESS));
            }
            other => panic!("not ended: {other:?}"),
        }
        assert_eq!(
            tail.take("ana", "s", 2, 1 << 16, 0),
            Take::Ended {
                chunk: None,
                reason: AccessEndReason::NotLicensed
            }
        );
        // Bruno's streams go on.
        assert_eq!(ids(&tail.take("bruno", "s", 0, 1 << 16, 0)), [1, 2, 4]);
        // A stream of ana's opened after the marker (access given back) skips it.
        assert_eq!(ids(&tail.take("ana", "s", 0, 1 << 16, 3)), [1, 2, 4]);
        assert_eq!(cursor(&tail.take("ana", "s", 2, 1 << 16, 3)), 4);
    }

    #[test]
    fn a_logout_ends_only_the_streams_of_its_session() {
        let tail = Tail::new(0);
        tail.append(vec![ev(1, None), logout(2, "ana", "one"), ev(3, None)], 0);
        assert_eq!(
            tail.take("ana", "one", 1, 1 << 16, 0),
            Take::Ended {
                chunk: None,
                reason: AccessEndReason::SignedOut
            }
        );
        // Her other session (another tab signed in on its own) goes on, and so do others.
        assert_eq!(ids(&tail.take("ana", "two", 0, 1 << 16, 0)), [1, 3]);
        assert_eq!(ids(&tail.take("bruno", "one", 0, 1 << 16, 0)), [1, 3]);
    }

    #[test]
    fn the_window_edge_is_exact() {
        let tail = Tail::new(10);
        // Ids need not be contiguous (one sequence is shared by every customer).
        let n = TAIL_CAP as i64 + 5;
        tail.append((1..=n).map(|i| ev(10 + 2 * i, None)).collect(), 0);
        assert_eq!(tail.head(), 10 + 2 * n);
        // The first five fell out of the window: it now covers (id of the 5th, head].
        let floor = 10 + 2 * 5;
        assert_eq!(tail.floor(), floor);
        // A cursor exactly at the floor is served, starting with the oldest cached event.
        let at = tail.take("u", "s", floor, usize::MAX, 0);
        let got = ids(&at);
        assert_eq!(got.len(), TAIL_CAP);
        assert_eq!(got[0], floor + 2);
        assert_eq!(*got.last().unwrap(), 10 + 2 * n);
        assert_eq!(cursor(&at), tail.head());
        // One before it is not: the store must answer.
        assert_eq!(tail.take("u", "s", floor - 1, usize::MAX, 0), Take::Behind);
        // At the head nothing is due.
        assert_eq!(
            tail.take("u", "s", tail.head(), usize::MAX, 0),
            Take::Ready {
                chunk: None,
                cursor: tail.head()
            }
        );
    }

    #[test]
    fn a_fresh_tail_serves_its_starting_point_and_nothing_older() {
        let tail = Tail::new(42);
        assert_eq!(
            tail.take("u", "s", 42, 1 << 16, 0),
            Take::Ready {
                chunk: None,
                cursor: 42
            }
        );
        assert_eq!(tail.take("u", "s", 41, 1 << 16, 0), Take::Behind);
        // A cursor ahead of the tail (the store was read further by the stream) stays put.
        assert_eq!(
            tail.take("u", "s", 50, 1 << 16, 0),
            Take::Ready {
                chunk: None,
                cursor: 50
            }
        );
        tail.append(vec![ev(45, None), ev(51, None)], 0);
        assert_eq!(ids(&tail.take("u", "s", 50, 1 << 16, 0)), [51]);
    }

    #[test]
    fn each_user_gets_only_events_for_everyone_or_for_them() {
        let tail = Tail::new(0);
        tail.append(
            vec![
                ev(1, None),
                ev(2, Some("ana")),
                ev(3, Some("bruno")),
                ev(4, None),
                ev(5, Some("bruno")),
            ],
            0,
        );
        let ana = tail.take("ana", "s", 0, 1 << 16, 0);
        assert_eq!(ids(&ana), [1, 2, 4]);
        assert_eq!(cursor(&ana), 5);
        assert_eq!(ids(&tail.take("bruno", "s", 0, 1 << 16, 0)), [1, 3, 4, 5]);
        assert_eq!(ids(&tail.take("carla", "s", 0, 1 << 16, 0)), [1, 4]);
        // Nothing visible after the cursor: the cursor still moves to the head.
        assert_eq!(
            tail.take("carla", "s", 4, 1 << 16, 0),
            Take::Ready {
                chunk: None,
                cursor: 5
            }
        );
    }

    #[test]
    fn many_pending_events_coalesce_into_one_chunk_in_order() {
        let tail = Tail::new(0);
        let events: Vec<LoggedEvent> = (1..=300).map(|i| ev(i, None)).collect();
        let expected: Vec<u8> = events
            .iter()
            .flat_map(|e| frame(&e.kind, e.id, &e.data).to_vec())
            .collect();
        tail.append(events, 0);
        let all = tail.take("u", "s", 0, usize::MAX, 0);
        assert_eq!(
            match &all {
                Take::Ready { chunk: Some(c), .. } => c.to_vec(),
                _ => Vec::new(),
            },
            expected,
            "one chunk: every frame, byte for byte, in order"
        );
        // With a size bound the chunks split between frames and resume exactly.
        let mut cursor_at = 0;
        let mut joined = Vec::new();
        let mut chunks = 0;
        loop {
            match tail.take("u", "s", cursor_at, 1000, 0) {
                Take::Ready {
                    chunk: Some(c),
                    cursor: next,
                } => {
                    assert!(c.len() <= 1000);
                    joined.extend_from_slice(&c);
                    cursor_at = next;
                    chunks += 1;
                }
                Take::Ready { chunk: None, .. } => break,
                other => panic!("not ready: {other:?}"),
            }
        }
        assert_eq!(joined, expected);
        assert!(chunks > 1);
        // A single frame larger than the bound still goes, alone.
        assert_eq!(ids(&tail.take("u", "s", 0, 1, 0)), [1]);
    }

    #[test]
    fn a_prune_past_the_head_restarts_the_window() {
        let tail = Tail::new(0);
        tail.append(vec![ev(1, None), ev(2, None)], 0);
        // The reader missed 3..=9 (pruned before it read them); 10 and 11 survive.
        tail.append(vec![ev(10, None), ev(11, None)], 9);
        assert_eq!(tail.floor(), 9);
        assert_eq!(tail.take("u", "s", 2, 1 << 16, 0), Take::Behind);
        assert_eq!(ids(&tail.take("u", "s", 9, 1 << 16, 0)), [10, 11]);
    }

    #[tokio::test]
    async fn the_reader_fills_from_the_store_one_customer_with_every_audience() {
        use crate::store::NewEvent;
        use crate::store::prelude::*;
        use crate::store::sqlite::SqliteStore;
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let new = |customer: &str, audience: Option<&str>, n: i64| NewEvent {
            customer_id: customer.into(),
            audience: audience.map(str::to_owned),
            kind: "presence",
            data: format!("{{\"n\":{n}}}"),
        };
        // 600 events (more than one page of the reader), interleaved with another customer's.
        for n in 0..300 {
            store
                .append_events(&[new("acme", None, n), new("globex", None, n)])
                .await
                .unwrap();
            store
                .append_events(&[new("acme", Some("ana"), n)])
                .await
                .unwrap();
        }
        let tail = Tail::new(0);
        fill(&tail, &store, "acme").await.unwrap();
        let (last, _) = store.stream_bounds("acme").await.unwrap();
        assert_eq!(tail.head(), last);
        let bruno = tail.take("bruno", "s", 0, usize::MAX, 0);
        assert_eq!(ids(&bruno).len(), 300, "acme's events for everyone only");
        let ana = tail.take("ana", "s", 0, usize::MAX, 0);
        assert_eq!(ids(&ana).len(), 600);
        assert!(ids(&ana).windows(2).all(|w| w[0] < w[1]));
        // What the store gives a user after a cursor is exactly what the tail gives.
        let from_store: Vec<i64> = store
            .events_after("acme", "ana", 0, 1000)
            .await
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids(&ana), from_store);
        // Retention pruned past the head before the reader read on: the window restarts there.
        store.append_events(&[new("acme", None, 1)]).await.unwrap();
        store.append_events(&[new("acme", None, 2)]).await.unwrap();
        store.prune_events(0, 1).await.unwrap();
        fill(&tail, &store, "acme").await.unwrap();
        let (last, pruned) = store.stream_bounds("acme").await.unwrap();
        assert_eq!(tail.floor(), pruned);
        assert_eq!(tail.head(), last);
        assert_eq!(
            tail.take("ana", "s", pruned - 1, usize::MAX, 0),
            Take::Behind
        );
        assert_eq!(ids(&tail.take("ana", "s", pruned, usize::MAX, 0)), [last]);
    }

    #[test]
    fn appends_wake_subscribers_and_ignore_what_is_known() {
        let tail = Tail::new(5);
        let mut rx = tail.subscribe();
        rx.borrow_and_update();
        tail.append(vec![ev(3, None), ev(5, None)], 0);
        assert!(!rx.has_changed().unwrap(), "nothing new: no wake-up");
        tail.append(vec![ev(5, None), ev(6, None)], 0);
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), 6);
        assert_eq!(ids(&tail.take("u", "s", 5, 1 << 16, 0)), [6]);
    }
}
