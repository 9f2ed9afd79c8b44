//! A minimal NATS client over raw TCP (CONNECT, SUB, PUB, MSG, PING, PONG): one connection per
//! subscriber, and a pipelined publisher whose "acknowledged" is the server's PONG to a PING sent
//! right after the PUB (NATS handles a connection's commands in order, so the PONG means the
//! message has been handed to every subscriber's connection).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{Mutex, oneshot};
use ucclient_core::api::PresenceUpdate;

use crate::clock::now_ns;
use crate::http::find;
use crate::record::Recorder;
use crate::sse::presence_key;

/// The subject the bench publishes presence changes on.
pub const SUBJECT: &str = "presence.globex";

/// A protocol item read from the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Item {
    /// `MSG` with its payload.
    Msg(Vec<u8>),
    /// `PING`.
    Ping,
    /// `PONG`.
    Pong,
    /// `INFO`, `+OK` and the like.
    Other,
}

/// Takes the next complete protocol item off the front of `buf`.
pub fn next_item(buf: &mut Vec<u8>) -> anyhow::Result<Option<Item>> {
    let Some(eol) = find(buf, b"\r\n") else {
        if buf.len() > 64 * 1024 {
            bail!("protocol line too long");
        }
        return Ok(None);
    };
    let line = std::str::from_utf8(&buf[..eol])?;
    if let Some(rest) = line.strip_prefix("MSG ") {
        let n: usize = rest.rsplit(' ').next().context("MSG size")?.parse()?;
        if buf.len() < eol + 2 + n + 2 {
            return Ok(None);
        }
        let payload = buf[eol + 2..eol + 2 + n].to_vec();
        buf.drain(..eol + 2 + n + 2);
        return Ok(Some(Item::Msg(payload)));
    }
    let item = match line {
        "PING" => Item::Ping,
        "PONG" => Item::Pong,
        l if l.starts_with("-ERR") => bail!("nats error: {l}"),
        _ => Item::Other,
    };
    buf.drain(..eol + 2);
    Ok(Some(item))
}

/// Connects and says CONNECT (without echo) and an optional SUB, then waits for the PONG.
async fn handshake(addr: SocketAddr, sub: bool) -> anyhow::Result<(TcpStream, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut hello =
        String::from("CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":false}\r\n");
    if sub {
        hello.push_str(&format!("SUB {SUBJECT} 1\r\n"));
    }
    hello.push_str("PING\r\n");
    stream.write_all(hello.as_bytes()).await?;
    let mut buf = Vec::new();
    let mut tmp = [0u8; 2048];
    loop {
        while let Some(item) = next_item(&mut buf)? {
            if item == Item::Pong {
                return Ok((stream, buf));
            }
        }
        let n = stream.read(&mut tmp).await?;
        if n == 0 {
            bail!("closed during handshake");
        }
        buf.extend_from_slice(&tmp[..n]);
    }
}

/// Holds one subscription open and records every message it parses, until aborted.
pub async fn subscribe(addr: SocketAddr, rec: Arc<Recorder>, idx: usize) {
    if let Err(e) = run(addr, &rec, idx).await {
        rec.fail(format!("{e:#}"));
    }
}

/// The body of [`subscribe`].
async fn run(addr: SocketAddr, rec: &Recorder, idx: usize) -> anyhow::Result<()> {
    let (mut stream, mut buf) = handshake(addr, true).await?;
    rec.ready.fetch_add(1, Ordering::Relaxed);
    let mut tmp = [0u8; 2048];
    loop {
        while let Some(item) = next_item(&mut buf)? {
            match item {
                Item::Msg(payload) => {
                    let update: PresenceUpdate = serde_json::from_slice(&payload)?;
                    rec.record(idx, presence_key(&update), now_ns());
                }
                Item::Ping => stream.write_all(b"PONG\r\n").await?,
                _ => {}
            }
        }
        let n = stream.read(&mut tmp).await?;
        if n == 0 {
            bail!("closed");
        }
        buf.extend_from_slice(&tmp[..n]);
    }
}

/// The acknowledgements awaited, in the order of the PINGs sent.
type Waiting = Arc<std::sync::Mutex<VecDeque<oneshot::Sender<u64>>>>;

/// A pipelined publisher.
pub struct NatsPublisher {
    /// The write half, and the PONGs awaited in order.
    writer: Mutex<(OwnedWriteHalf, Waiting)>,
}

impl NatsPublisher {
    /// Connects.
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let (stream, mut buf) = handshake(addr, false).await?;
        let (mut read, write) = stream.into_split();
        let waiting: Waiting = Arc::default();
        let w = waiting.clone();
        tokio::spawn(async move {
            let mut tmp = [0u8; 2048];
            loop {
                while let Ok(Some(item)) = next_item(&mut buf) {
                    if item == Item::Pong {
                        let at = now_ns();
                        if let Some(tx) = w.lock().unwrap_or_else(|e| e.into_inner()).pop_front() {
                            let _ = tx.send(at);
                        }
                    }
                }
                match read.read(&mut tmp).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&tmp[..n]),
                }
            }
        });
        Ok(NatsPublisher {
            writer: Mutex::new((write, waiting)),
        })
    }

    /// Publishes `payload`; returns the generator clock when the server acknowledged it.
    pub async fn publish(&self, payload: &[u8]) -> anyhow::Result<u64> {
        let (tx, rx) = oneshot::channel();
        {
            let mut guard = self.writer.lock().await;
            let (write, waiting) = &mut *guard;
            let mut frame = format!("PUB {SUBJECT} {}\r\n", payload.len()).into_bytes();
            frame.extend_from_slice(payload);
            frame.extend_from_slice(b"\r\nPING\r\n");
            waiting
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_back(tx);
            write.write_all(&frame).await?;
        }
        Ok(rx.await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_messages_and_control_lines_split_anywhere() {
        let wire = b"INFO {}\r\nMSG presence.globex 1 5\r\nhello\r\nPING\r\nMSG a 1 r 0\r\n\r\n";
        for split in 0..wire.len() {
            let mut buf = wire[..split].to_vec();
            let mut items = Vec::new();
            while let Some(i) = next_item(&mut buf).unwrap() {
                items.push(i);
            }
            buf.extend_from_slice(&wire[split..]);
            while let Some(i) = next_item(&mut buf).unwrap() {
                items.push(i);
            }
            assert_eq!(
                items,
                vec![
                    Item::Other,
                    Item::Msg(b"hello".to_vec()),
                    Item::Ping,
                    Item::Msg(vec![])
                ]
            );
        }
        assert!(next_item(&mut b"-ERR 'x'\r\n".to_vec()).is_err());
    }
}
