//! Softphone helpers shared by the end-to-end tests (issue 17): Chromium's fake media switches, a
//! test-only record of the page's `RTCPeerConnection`s, their `getStats()` audio counters, and
//! turning a panel into the agent's phone. The production code puts nothing on `window`: the
//! tests find the peer connections by wrapping the page's constructor ([`RECORD_PEER_CONNECTIONS`]).

use std::time::Duration;

use anyhow::{Context, Result};
use fantoccini::Client;

use crate::{click, wait_text};

/// Chromium's fake microphone, allowed without a prompt, and audio that may play without a click.
pub const FAKE_MEDIA: [&str; 3] = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
];
/// A fake microphone, and every permission prompt answered "block": the agent refusing it.
pub const MIC_REFUSED: [&str; 2] = [
    "--use-fake-device-for-media-stream",
    "--deny-permission-prompts",
];

/// Test-only: keeps every `RTCPeerConnection` the page makes in `window.__ucTestPcs`, by replacing
/// the page's constructor with a subclass (the widget's glue looks the constructor up when it
/// makes one).
pub const RECORD_PEER_CONNECTIONS: &str = "if (!window.__ucTestPcs) { \
    const Original = window.RTCPeerConnection; window.__ucTestPcs = []; \
    window.RTCPeerConnection = class extends Original { \
        constructor(...a) { super(...a); window.__ucTestPcs.push(this); } }; }";

/// Test-only: records in `window.__ucSinks` every speaker the page chooses for an audio output
/// (`setSinkId`), by wrapping `HTMLMediaElement.prototype.setSinkId` (the widget calls it on its
/// own, detached audio element).
pub const RECORD_SINKS: &str = "if (!window.__ucSinks) { window.__ucSinks = []; \
    const p = HTMLMediaElement.prototype; const o = p.setSinkId; \
    if (o) { p.setSinkId = function (id) { window.__ucSinks.push(id); return o.call(this, id); }; } }";

/// Test-only: how many audio outputs the browser lists (`enumerateDevices`).
pub const AUDIO_OUTPUTS: &str = "const done = arguments[arguments.length - 1]; \
    navigator.mediaDevices.enumerateDevices().then( \
        (d) => done(d.filter((x) => x.kind === 'audiooutput').length), () => done(-1));";

/// Test-only: `[audio packets sent, audio packets received, connectionState]` of the page's last
/// peer connection, from its `getStats()`; `null` when it made none.
pub const STATS: &str = "const done = arguments[arguments.length - 1]; \
    const pcs = window.__ucTestPcs || []; const pc = pcs[pcs.length - 1]; \
    if (!pc) { done(null); return; } \
    pc.getStats().then(r => { let sent = 0, got = 0; r.forEach(s => { \
        if (s.type === 'outbound-rtp' && s.kind === 'audio') sent += s.packetsSent || 0; \
        if (s.type === 'inbound-rtp' && s.kind === 'audio') got += s.packetsReceived || 0; }); \
        done([sent, got, pc.connectionState]); }, () => done(null));";

/// What [`STATS`] read.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Audio packets sent.
    pub sent: u64,
    /// Audio packets received.
    pub received: u64,
    /// The connection's `connectionState`.
    pub state: String,
}

/// The page's last peer connection's audio counters ([`STATS`]).
pub async fn stats(client: &Client) -> Result<Stats> {
    let v = client.execute_async(STATS, vec![]).await?;
    Ok(Stats {
        sent: v[0].as_u64().context("no peer connection")?,
        received: v[1].as_u64().unwrap_or(0),
        state: v[2].as_str().unwrap_or_default().to_owned(),
    })
}

/// The packets counted over `ms` milliseconds: (sent, received) after minus before.
pub async fn flow(client: &Client, ms: u64) -> Result<(u64, u64)> {
    let a = stats(client).await?;
    tokio::time::sleep(Duration::from_millis(ms)).await;
    let b = stats(client).await?;
    Ok((b.sent - a.sent, b.received - a.received))
}

/// Turns "Use this panel as my phone" on (Presence tab) and waits until the panel is the phone.
pub async fn make_phone(client: &Client) -> Result<()> {
    client.execute(RECORD_PEER_CONNECTIONS, vec![]).await?;
    click(client, "#uc-tab-presence").await?;
    click(client, "[data-test=softphone-open]").await?;
    click(client, "[data-test=softphone-toggle]").await?;
    wait_text(
        client,
        "[data-test=softphone-status]",
        "This panel is your phone",
    )
    .await
}
