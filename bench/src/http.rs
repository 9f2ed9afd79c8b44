//! A minimal HTTP/1.1 client over one keep-alive TCP connection: just enough for the bench's JSON
//! requests (login, tickets, presence changes) and for opening Server-Sent Events streams. It is
//! hand-written so that 10,000 streams cost a socket and a small buffer each, like the NATS side.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The largest response head or body the bench accepts.
const MAX_RESPONSE: usize = 4 << 20;

/// One answer.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Body bytes (de-chunked).
    pub body: Vec<u8>,
}

/// Decodes `Transfer-Encoding: chunked` incrementally.
#[derive(Debug, Default)]
pub struct Dechunker {
    /// Bytes left in the current chunk's data.
    left: usize,
    /// Whether the CRLF after a chunk's data is still to be skipped.
    crlf_due: bool,
    /// Whether the last (zero-size) chunk was seen.
    pub done: bool,
}

impl Dechunker {
    /// Moves the payload bytes of `raw` (consumed as far as possible) to `out`.
    pub fn feed(&mut self, raw: &mut Vec<u8>, out: &mut Vec<u8>) -> anyhow::Result<()> {
        let mut pos = 0;
        loop {
            if self.done {
                break;
            }
            if self.left > 0 {
                let n = self.left.min(raw.len() - pos);
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&raw[pos..pos + n]);
                pos += n;
                self.left -= n;
                if self.left == 0 {
                    self.crlf_due = true;
                }
                continue;
            }
            if self.crlf_due {
                if raw.len() - pos < 2 {
                    break;
                }
                pos += 2;
                self.crlf_due = false;
                continue;
            }
            let Some(eol) = find(&raw[pos..], b"\r\n") else {
                if raw.len() - pos > 64 {
                    bail!("chunk size line too long");
                }
                break;
            };
            let line = std::str::from_utf8(&raw[pos..pos + eol])?;
            let hex = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(hex, 16).context("chunk size")?;
            pos += eol + 2;
            if size == 0 {
                self.done = true;
            } else {
                self.left = size;
            }
        }
        raw.drain(..pos);
        Ok(())
    }
}

/// The position of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A response head: status, whether the body is chunked, and its length when given.
#[derive(Debug)]
pub struct Head {
    /// Status code.
    pub status: u16,
    /// `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// `Content-Length`.
    pub length: Option<usize>,
}

/// Parses a response head (without the final blank line).
pub fn parse_head(head: &[u8]) -> anyhow::Result<Head> {
    let text = std::str::from_utf8(head)?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .context("status line")?
        .parse()?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        } else if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse()?);
        }
    }
    Ok(Head {
        status,
        chunked,
        length,
    })
}

/// One keep-alive connection to the backend.
pub struct HttpConn {
    /// The socket.
    stream: TcpStream,
    /// `Host:` header value.
    host: String,
    /// Bytes read and not yet consumed.
    buf: Vec<u8>,
}

impl HttpConn {
    /// Connects.
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(HttpConn {
            stream,
            host: addr.to_string(),
            buf: Vec::with_capacity(4096),
        })
    }

    /// Writes a request head (and body).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        extra: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> anyhow::Result<()> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if let Some(t) = bearer {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        for (k, v) in extra {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        let body = body.unwrap_or(b"");
        if !body.is_empty() || method != "GET" {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.write_all(&bytes).await?;
        Ok(())
    }

    /// Reads a response head; the bytes after it stay in the buffer.
    pub async fn read_head(&mut self) -> anyhow::Result<Head> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = parse_head(&self.buf[..end])?;
                self.buf.drain(..end + 4);
                return Ok(head);
            }
            if self.buf.len() > 64 * 1024 {
                bail!("response head too large");
            }
            self.fill().await?;
        }
    }

    /// Reads more bytes into the buffer; fails at end of stream.
    pub async fn fill(&mut self) -> anyhow::Result<usize> {
        let mut tmp = [0u8; 4096];
        let n = self.stream.read(&mut tmp).await?;
        if n == 0 {
            bail!("connection closed");
        }
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(n)
    }

    /// The socket, for streaming reads once the head has been read.
    pub fn into_stream(self) -> (TcpStream, Vec<u8>) {
        (self.stream, self.buf)
    }

    /// One request and its whole response.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&[u8]>,
    ) -> anyhow::Result<Response> {
        self.send(method, path, bearer, &[], body).await?;
        let head = self.read_head().await?;
        let mut body = Vec::new();
        if head.chunked {
            let mut d = Dechunker::default();
            loop {
                let mut raw = std::mem::take(&mut self.buf);
                d.feed(&mut raw, &mut body)?;
                self.buf = raw;
                if d.done {
                    // Trailers: an empty line ends them.
                    while find(&self.buf, b"\r\n").is_none() {
                        self.fill().await?;
                    }
                    let at = find(&self.buf, b"\r\n").unwrap_or(0);
                    self.buf.drain(..at + 2);
                    break;
                }
                if body.len() > MAX_RESPONSE {
                    bail!("response too large");
                }
                self.fill().await?;
            }
        } else {
            let len = head.length.unwrap_or(0);
            if len > MAX_RESPONSE {
                bail!("response too large");
            }
            while self.buf.len() < len {
                self.fill().await?;
            }
            body = self.buf.drain(..len).collect();
        }
        Ok(Response {
            status: head.status,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks_across_arbitrary_splits() {
        let wire = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n";
        for split in 0..wire.len() {
            let mut d = Dechunker::default();
            let mut out = Vec::new();
            let mut raw = wire[..split].to_vec();
            d.feed(&mut raw, &mut out).unwrap();
            raw.extend_from_slice(&wire[split..]);
            d.feed(&mut raw, &mut out).unwrap();
            assert_eq!(out, b"hello, world", "split at {split}");
            assert!(d.done);
        }
    }

    #[test]
    fn rejects_garbage_chunk_sizes() {
        let mut d = Dechunker::default();
        assert!(d.feed(&mut b"zz\r\n".to_vec(), &mut Vec::new()).is_err());
    }

    #[test]
    fn parses_heads() {
        let h = parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: x")
            .unwrap();
        assert_eq!(h.status, 200);
        assert!(h.chunked);
        let h = parse_head(b"HTTP/1.1 429 Too Many\r\nContent-Length: 12").unwrap();
        assert_eq!((h.status, h.length), (429, Some(12)));
    }
}
