//! The mailbox's recorder: what a softphone caller says once their call reached a colleague's
//! voicemail (`Call::leaving_message`), decoded from the browser's RTP audio to 8 kHz 16-bit mono,
//! the message's WAV format, at most [`MAX_SAMPLES`].
//!
//! Opus (what Chromium sends first) is decoded by libopus (the `opus` crate) straight to 8 kHz;
//! PCMU by G.711 ([`super::tone::ulaw_to_linear`]). Frames are appended in the order they arrive:
//! a lost frame shortens the message by 20 ms rather than holding it up. A frame that does not
//! decode is counted and left out; DTMF (`telephone-event`) is not audio and is left out too.

use opus::{Channels, Decoder as OpusDecoder};
use str0m::format::Codec;
use ucclient_core::api::MAX_RECORDED_MS;

/// Samples per second of the recording (that of PCMU and of the generated messages).
pub const SAMPLE_RATE: u32 = 8_000;
/// Most samples one message holds: [`MAX_RECORDED_MS`] at [`SAMPLE_RATE`].
pub const MAX_SAMPLES: usize = (MAX_RECORDED_MS as usize) * (SAMPLE_RATE as usize) / 1_000;

/// Most samples one Opus packet decodes to at 8 kHz: 120 ms.
const MAX_FRAME: usize = (SAMPLE_RATE as usize) * 120 / 1_000;

/// One caller's message being recorded.
#[derive(Default)]
pub struct Recorder {
    /// Made at the first Opus frame (a caller sending PCMU never needs one).
    opus: Option<OpusDecoder>,
    samples: Vec<i16>,
    /// Frames that did not decode (an Opus decoder error, or none could be made).
    refused: u64,
}

impl Recorder {
    /// An empty recording.
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// Appends one RTP payload of `codec` (ignored once [`MAX_SAMPLES`] are held).
    pub fn push(&mut self, codec: Codec, payload: &[u8]) {
        if self.samples.len() >= MAX_SAMPLES {
            return;
        }
        match codec {
            Codec::PCMU => self
                .samples
                .extend(payload.iter().map(|&c| super::tone::ulaw_to_linear(c))),
            Codec::Opus => self.push_opus(payload),
            _ => return,
        }
        self.samples.truncate(MAX_SAMPLES);
    }

    fn push_opus(&mut self, payload: &[u8]) {
        if payload.is_empty() {
            // No packet is no audio (libopus would conceal a loss from an empty one).
            self.refused += 1;
            return;
        }
        let decoder = match &mut self.opus {
            Some(decoder) => decoder,
            None => match OpusDecoder::new(SAMPLE_RATE, Channels::Mono) {
                Ok(decoder) => self.opus.insert(decoder),
                Err(e) => {
                    tracing::warn!(error = %e, "no Opus decoder for the mailbox");
                    self.refused += 1;
                    return;
                }
            },
        };
        // On the stack: this runs for every 20 ms packet of every caller leaving a message.
        let mut pcm = [0i16; MAX_FRAME];
        match decoder.decode(payload, &mut pcm, false) {
            Ok(n) => self.samples.extend_from_slice(&pcm[..n.min(pcm.len())]),
            Err(_) => self.refused += 1,
        }
    }

    /// The samples recorded so far.
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// The samples recorded, the recorder done with.
    pub fn into_samples(self) -> Vec<i16> {
        self.samples
    }

    /// How many frames did not decode.
    pub fn refused(&self) -> u64 {
        self.refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Opus's shortest packet (RFC 6716 §3.1): a TOC byte alone, code 0, one 20 ms CELT
    /// full-band frame of zero bytes, which a decoder treats as a lost frame to conceal.
    const OPUS_EMPTY_FRAME: [u8; 1] = [0xF8];

    #[test]
    fn pcmu_is_decoded_sample_for_sample() {
        let mut r = Recorder::new();
        r.push(Codec::PCMU, &[0xFF, 0xCE, 0x4E]);
        assert_eq!(r.samples(), [0, 988, -988]);
    }

    #[test]
    fn opus_is_decoded_to_8_khz_twenty_ms_a_frame() {
        let mut r = Recorder::new();
        for _ in 0..3 {
            r.push(Codec::Opus, &OPUS_EMPTY_FRAME);
        }
        assert_eq!(r.refused(), 0);
        assert_eq!(r.samples().len(), 3 * 160);
    }

    #[test]
    fn what_does_not_decode_is_left_out_and_counted() {
        let mut r = Recorder::new();
        r.push(Codec::Opus, &[]);
        // RFC 6716 §3.2.5: a code 3 packet that says it holds 0 frames is invalid.
        r.push(Codec::Opus, &[0x03, 0x00]);
        r.push(Codec::Tele, &[5, 0x8A, 0, 160]);
        assert_eq!(r.samples().len(), 0);
        assert_eq!(r.refused(), 2);
    }

    #[test]
    fn a_message_stops_at_its_longest() {
        let mut r = Recorder::new();
        let frame = [0xCEu8; 160];
        for _ in 0..(MAX_SAMPLES / 160 + 10) {
            r.push(Codec::PCMU, &frame);
        }
        assert_eq!(r.samples().len(), MAX_SAMPLES);
    }
}
