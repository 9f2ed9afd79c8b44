//! The simulated outside party's voice: a two-note chime in PCMU (G.711 μ-law, 8 kHz), one 20 ms
//! frame of 160 samples at a time; the mailbox's beep; and G.711 μ-law both ways.
//!
//! The notes are 400 Hz and 500 Hz: a whole number of periods fits in each 20 ms frame (8 and 10),
//! so each note is one precomputed frame repeated without a click, and no resampling or codec
//! library is needed. The μ-law encoder is the short, table-free one of ITU-T G.711 (the Sun
//! reference `linear2ulaw`), and so is the decoder (`ulaw2linear`, which the mailbox's recorder
//! uses for a browser sending PCMU): the crates offering them bring whole codec suites (Opus, G.729
//! through C) or a media framework's core for these twenty lines; the tests check known values and
//! that every code round-trips.

/// Samples per second of PCMU.
pub const SAMPLE_RATE: u32 = 8_000;
/// Samples in one 20 ms frame.
pub const FRAME_SAMPLES: usize = 160;
/// Frames each note (and the pause after them) lasts: 0.4 s.
const FRAMES_PER_NOTE: u64 = 20;
/// The notes, in Hz; 0 is a pause.
const NOTES: [u32; 3] = [400, 500, 0];
/// Peak amplitude, about -12 dBFS: audible, never harsh.
const AMPLITUDE: f64 = 8_000.0;
/// The mailbox's beep, in Hz: 8 samples a period, so 20 whole periods a frame.
const BEEP_HZ: u32 = 1_000;
/// Frames the beep lasts: 0.5 s.
pub const BEEP_FRAMES: u32 = 25;

/// G.711 μ-law of one 16-bit linear sample.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32_635;
    let s = i32::from(sample);
    let sign: i32 = if s < 0 { 0x80 } else { 0 };
    let magnitude = s.abs().min(CLIP) + BIAS;
    // The segment: how far above 2^8 the biased magnitude reaches (0..=7).
    let mut segment = 0;
    while segment < 7 && magnitude >= (0x100 << segment) {
        segment += 1;
    }
    let mantissa = (magnitude >> (segment + 3)) & 0x0F;
    // Always in 0..=0xFF: sign (bit 7), segment (bits 4-6), mantissa (bits 0-3), inverted.
    ((sign | (segment << 4) | mantissa) ^ 0xFF) as u8
}

/// The 16-bit linear sample of one G.711 μ-law code (ITU-T G.711, Sun's `ulaw2linear`).
pub fn ulaw_to_linear(code: u8) -> i16 {
    let u = !code;
    let t = ((i32::from(u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4);
    // At most 0x84 + (0x7F << 7) = 32,644 either way: always an i16.
    (if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }) as i16
}

/// One PCMU frame of a pure tone of `hz` (a whole number of periods in a frame plays on without a
/// click).
fn tone_frame(hz: u32) -> [u8; FRAME_SAMPLES] {
    let mut frame = [0u8; FRAME_SAMPLES];
    for (i, out) in frame.iter_mut().enumerate() {
        let t = i as f64 / f64::from(SAMPLE_RATE);
        let v = AMPLITUDE * (2.0 * std::f64::consts::PI * f64::from(hz) * t).sin();
        *out = linear_to_ulaw(v.round() as i16);
    }
    frame
}

/// One frame of the mailbox's beep (1 kHz), played [`BEEP_FRAMES`] times when a softphone caller
/// reaches a colleague's voicemail.
pub fn beep() -> [u8; FRAME_SAMPLES] {
    tone_frame(BEEP_HZ)
}

/// The tone's frames, precomputed: one per entry of [`NOTES`].
pub struct Tone {
    frames: Vec<[u8; FRAME_SAMPLES]>,
}

impl Default for Tone {
    fn default() -> Self {
        Tone::new()
    }
}

impl Tone {
    /// Computes the frames of each note.
    pub fn new() -> Tone {
        let frames = NOTES.iter().map(|&hz| tone_frame(hz)).collect();
        Tone { frames }
    }

    /// Frame number `n` (from 0) of the endless chime.
    pub fn frame(&self, n: u64) -> &[u8; FRAME_SAMPLES] {
        let note = (n / FRAMES_PER_NOTE) % self.frames.len() as u64;
        &self.frames[note as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(-1), 0x7F);
        assert_eq!(linear_to_ulaw(1000), 0xCE);
        assert_eq!(linear_to_ulaw(-1000), 0x4E);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(ulaw_to_linear(0xCE), 988);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x00), -32_124);
        assert_eq!(ulaw_to_linear(0x80), 32_124);
    }

    #[test]
    fn the_beep_is_a_whole_number_of_periods_at_1_khz() {
        let b = beep();
        // 8 samples a period: each sample comes back 8 later, and a frame starts where it goes on.
        for i in 0..FRAME_SAMPLES - 8 {
            assert_eq!(b[i], b[i + 8], "sample {i}");
        }
        assert_ne!(b, [0xFFu8; FRAME_SAMPLES]);
    }

    #[test]
    fn every_code_round_trips() {
        for code in 0..=255u8 {
            // 0x7F is "minus zero": it decodes to 0, which encodes as 0xFF.
            if code == 0x7F {
                continue;
            }
            assert_eq!(
                linear_to_ulaw(ulaw_to_linear(code)),
                code,
                "code {code:#04x}"
            );
        }
    }

    #[test]
    fn the_chime_plays_its_notes_then_a_pause() {
        let tone = Tone::new();
        let silence = [0xFFu8; FRAME_SAMPLES];
        assert_ne!(tone.frame(0), &silence);
        assert_eq!(tone.frame(0), tone.frame(FRAMES_PER_NOTE - 1));
        assert_ne!(tone.frame(0), tone.frame(FRAMES_PER_NOTE));
        assert_eq!(tone.frame(2 * FRAMES_PER_NOTE), &silence);
        assert_eq!(tone.frame(0), tone.frame(3 * FRAMES_PER_NOTE));
        // A 400 Hz frame is 8 whole periods: it starts where it would go on.
        let f = tone.frame(0);
        assert_eq!(f[0], f[20]);
    }
}
