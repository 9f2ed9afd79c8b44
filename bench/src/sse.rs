//! A Server-Sent Events subscriber over raw TCP: an incremental `text/event-stream` parser and the
//! task that holds one stream open and records every `presence` event it parses.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::io::AsyncReadExt;
use ucclient_core::api::{Event, Timestamp};

use crate::clock::now_ns;
use crate::http::{Dechunker, HttpConn};
use crate::record::Recorder;

/// The longest line a subscriber accepts (a snapshot of a big customer is one line).
const MAX_LINE: usize = 8 << 20;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// `event:` (empty = `message`).
    pub name: String,
    /// `data:` lines joined with `\n`.
    pub data: String,
    /// `id:` when given.
    pub id: Option<String>,
}

/// Incremental `text/event-stream` parser.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of an unfinished line.
    line: Vec<u8>,
    /// The event being built.
    name: String,
    /// Its data.
    data: Option<String>,
    /// Its id.
    id: Option<String>,
}

impl SseParser {
    /// Feeds body bytes; calls `on_event` for every complete event.
    pub fn feed(
        &mut self,
        mut bytes: &[u8],
        on_event: &mut impl FnMut(SseEvent),
    ) -> anyhow::Result<()> {
        while let Some(nl) = bytes.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&bytes[..nl]);
            bytes = &bytes[nl + 1..];
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            self.line_done(&line, on_event)?;
        }
        self.line.extend_from_slice(bytes);
        if self.line.len() > MAX_LINE {
            anyhow::bail!("event line too long");
        }
        Ok(())
    }

    /// Handles one complete line.
    fn line_done(
        &mut self,
        line: &[u8],
        on_event: &mut impl FnMut(SseEvent),
    ) -> anyhow::Result<()> {
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                on_event(SseEvent {
                    name: std::mem::take(&mut self.name),
                    data,
                    id: self.id.take(),
                });
            }
            self.name.clear();
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let line = std::str::from_utf8(line)?;
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.name = value.to_owned(),
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "id" => self.id = Some(value.to_owned()),
            _ => {}
        }
        Ok(())
    }
}

/// The key of a presence change: its `since` instant in nanoseconds.
pub fn presence_key(update: &ucclient_core::api::PresenceUpdate) -> u64 {
    unix_nanos(update.presence.since)
}

/// Nanoseconds since the Unix epoch (0 before it): the key of a change.
pub fn unix_nanos(t: Timestamp) -> u64 {
    u64::try_from(t.unix_seconds()).map_or(0, |s| s * 1_000_000_000 + u64::from(t.subsec_nanos()))
}

/// The instant `nanos` nanoseconds after the Unix epoch.
pub fn from_unix_nanos(nanos: u64) -> Timestamp {
    Timestamp::from_unix(
        (nanos / 1_000_000_000) as i64,
        (nanos % 1_000_000_000) as u32,
    )
    .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Opens `GET path` as an event stream and records every `presence` event until the task is
/// aborted or the stream ends.
pub async fn subscribe(addr: SocketAddr, path: String, rec: Arc<Recorder>, idx: usize) {
    if let Err(e) = run(addr, &path, &rec, idx).await {
        rec.fail(format!("{e:#}"));
    }
}

/// The body of [`subscribe`].
async fn run(addr: SocketAddr, path: &str, rec: &Recorder, idx: usize) -> anyhow::Result<()> {
    let mut conn = HttpConn::connect(addr).await?;
    conn.send("GET", path, None, &[("Accept", "text/event-stream")], None)
        .await?;
    let head = conn.read_head().await?;
    if head.status != 200 {
        anyhow::bail!("status {}", head.status);
    }
    let (mut stream, mut raw) = conn.into_stream();
    let mut dechunk = head.chunked.then(Dechunker::default);
    let mut parser = SseParser::default();
    let mut body = Vec::with_capacity(1024);
    let mut first = true;
    let mut buf = [0u8; 2048];
    loop {
        match &mut dechunk {
            Some(d) => d.feed(&mut raw, &mut body)?,
            None => body.append(&mut raw),
        }
        let mut bad = false;
        parser.feed(&body, &mut |ev: SseEvent| {
            if first {
                first = false;
                rec.ready.fetch_add(1, Ordering::Relaxed);
            }
            if ev.name == "presence" {
                match Event::parse(&ev.name, &ev.data) {
                    Ok(Event::Presence(p)) => rec.record(idx, presence_key(&p), now_ns()),
                    _ => bad = true,
                }
            }
        })?;
        body.clear();
        if bad {
            anyhow::bail!("unparsable presence event");
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            anyhow::bail!("stream closed");
        }
        raw.extend_from_slice(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(wire: &[u8], split: usize) -> Vec<SseEvent> {
        let mut p = SseParser::default();
        let mut out = Vec::new();
        p.feed(&wire[..split], &mut |e| out.push(e)).unwrap();
        p.feed(&wire[split..], &mut |e| out.push(e)).unwrap();
        out
    }

    #[test]
    fn parses_events_split_anywhere() {
        let wire = b": keep-alive\n\nevent: presence\nid: 7\ndata: {\"a\":1}\n\nevent: snapshot\r\ndata: x\r\ndata: y\r\n\r\n";
        for split in 0..wire.len() {
            let evs = parse_all(wire, split);
            assert_eq!(evs.len(), 2, "split at {split}");
            assert_eq!(
                evs[0],
                SseEvent {
                    name: "presence".into(),
                    data: "{\"a\":1}".into(),
                    id: Some("7".into())
                }
            );
            assert_eq!(evs[1].data, "x\ny");
            assert_eq!(evs[1].id, None);
        }
    }
}
