//! Voicemail: the messages callers leave when a call goes to the user's mailbox (the rule is
//! core's [`ucclient_core::voicemail`]), what the embedded PBX records, and the mailbox as its
//! owner reads it. It validates every WAV it is given and never decodes audio beyond the header:
//! the bytes are stored and served back exactly as they came.
//!
//! WAV files are read and written with `hound`: its reader walks the RIFF chunks and checks the
//! `fmt ` chunk (no sample is decoded here), its writer makes the generated message.

use std::sync::Arc;

use base64::Engine;
use chrono::Utc;
use ucclient_core::api::{
    MAX_MESSAGE_BASE64_LEN, MAX_MESSAGE_BYTES, MAX_MESSAGE_MS, Mailbox, Timestamp, VoicemailMessage,
};

use crate::AppState;
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::store::{Account, NewVoicemail, OwnedCall};

/// Fewest and most samples per second a message may have.
const SAMPLE_RATES: std::ops::RangeInclusive<u32> = 8_000..=48_000;
/// Longest message id accepted in a path (ours are shorter).
const MAX_ID_LEN: usize = 64;

/// What a caller says into a mailbox: validated WAV bytes and their length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerMessage {
    /// The WAV file.
    pub wav: Arc<Vec<u8>>,
    /// Its length in milliseconds.
    pub duration_ms: u32,
}

/// Why a WAV file is refused; each says so in a sentence for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    /// Not base64.
    #[error("the message is not valid base64")]
    NotBase64,
    /// Over [`MAX_MESSAGE_BYTES`].
    #[error("the message is larger than {} KiB", MAX_MESSAGE_BYTES / 1024)]
    TooLarge,
    /// No RIFF/WAVE header.
    #[error("the message is not a WAV file (no RIFF/WAVE header)")]
    NotWav,
    /// A chunk runs past the end of the file, or the RIFF size is wrong.
    #[error("the WAV file is truncated or its chunk sizes are wrong")]
    Truncated,
    /// The `fmt ` chunk is missing, short, or not PCM of a sane shape.
    #[error("the WAV file's format is not supported: {0}")]
    Format(&'static str),
    /// No `data` chunk (after `fmt `), or an empty one.
    #[error("the WAV file has no audio data")]
    NoData,
    /// Longer than [`MAX_MESSAGE_MS`].
    #[error("the message is longer than {} seconds", MAX_MESSAGE_MS / 1000)]
    TooLong,
}

impl From<WavError> for ApiError {
    fn from(e: WavError) -> Self {
        ApiError::InvalidAudio(e.to_string())
    }
}

/// A refusal in `hound`'s words, as the sender reads it: a chunk past the end of the file or half
/// a frame is a truncated file, anything else a format this mailbox does not take.
fn refused(e: hound::Error) -> WavError {
    match e {
        hound::Error::IoError(_) | hound::Error::UnfinishedSample => WavError::Truncated,
        // hound's word for a data chunk that ends inside a frame.
        hound::Error::FormatError(why) if why.contains("not a multiple of sample size") => {
            WavError::Truncated
        }
        // hound's word for a float format tag on samples that are not 32-bit floats.
        hound::Error::FormatError(why) if why.contains("bits per sample is not 32") => {
            WavError::Format("only integer PCM is accepted")
        }
        hound::Error::FormatError(why) => WavError::Format(why),
        hound::Error::Unsupported | hound::Error::InvalidSampleFormat => {
            WavError::Format("only integer PCM is accepted")
        }
        hound::Error::TooWide => WavError::Format("8 or 16 bits per sample only"),
    }
}

/// Checks that `wav` is a PCM WAV file within the bounds: RIFF/WAVE, a `fmt ` chunk of integer PCM
/// (1 or 2 channels, 8 to 48 kHz, 8 or 16 bits), then a non-empty `data` chunk of whole frames
/// that the file holds, at most [`MAX_MESSAGE_MS`] long. Returns the length in milliseconds.
pub fn validate_wav(wav: &[u8]) -> Result<u32, WavError> {
    if wav.len() > MAX_MESSAGE_BYTES {
        return Err(WavError::TooLarge);
    }
    if wav.len() < 12 || &wav[0..4] != b"RIFF" || &wav[8..12] != b"WAVE" {
        return Err(WavError::NotWav);
    }
    let riff_size = u32::from_le_bytes([wav[4], wav[5], wav[6], wav[7]]) as usize;
    if riff_size.saturating_add(8) > wav.len() {
        return Err(WavError::Truncated);
    }
    let reader = hound::WavReader::new(std::io::Cursor::new(wav)).map_err(refused)?;
    let spec = reader.spec();
    if spec.sample_format != hound::SampleFormat::Int {
        return Err(WavError::Format("only integer PCM is accepted"));
    }
    if !(1..=2).contains(&spec.channels) {
        return Err(WavError::Format("one or two channels only"));
    }
    if !SAMPLE_RATES.contains(&spec.sample_rate) {
        return Err(WavError::Format("the sample rate must be 8 to 48 kHz"));
    }
    if spec.bits_per_sample != 8 && spec.bits_per_sample != 16 {
        return Err(WavError::Format("8 or 16 bits per sample only"));
    }
    let frames = u64::from(reader.duration());
    if frames == 0 {
        return Err(WavError::NoData);
    }
    // The reader stops at the start of the samples: the file must hold all the data chunk claims.
    let data = frames * u64::from(spec.channels) * u64::from(spec.bits_per_sample / 8);
    if reader.into_inner().position() + data > wav.len() as u64 {
        return Err(WavError::Truncated);
    }
    let ms = frames * 1000 / u64::from(spec.sample_rate);
    match u32::try_from(ms) {
        Ok(ms) if ms <= MAX_MESSAGE_MS => Ok(ms),
        _ => Err(WavError::TooLong),
    }
}

/// The caller's message of an inbound-call request: base64 decoded and validated (422
/// `invalid_audio` otherwise), or `None` when none is given.
pub fn caller_message(base64_wav: Option<&str>) -> Result<Option<CallerMessage>, WavError> {
    let Some(text) = base64_wav else {
        return Ok(None);
    };
    if text.len() > MAX_MESSAGE_BASE64_LEN {
        return Err(WavError::TooLarge);
    }
    let wav = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| WavError::NotBase64)?;
    let duration_ms = validate_wav(&wav)?;
    Ok(Some(CallerMessage {
        wav: Arc::new(wav),
        duration_ms,
    }))
}

/// A PCM WAV file's bytes: mono, 16-bit, `rate` samples per second.
fn wav_file(rate: u32, samples: &[i16]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::with_capacity(44 + samples.len() * 2));
    // Writing into memory: nothing here can fail but a file over 4 GiB, and this one is 32 KB.
    let mut writer = hound::WavWriter::new(&mut out, spec).expect("a WAV header fits in memory");
    for s in samples {
        writer.write_sample(*s).expect("a sample fits in memory");
    }
    writer.finalize().expect("a WAV file fits in memory");
    out.into_inner()
}

/// The message a softphone caller recorded: 8 kHz 16-bit mono samples
/// ([`crate::media::record`], at most `MAX_RECORDED_MS`) as a WAV file.
pub fn recorded_message(samples: &[i16]) -> CallerMessage {
    let rate = crate::media::record::SAMPLE_RATE;
    let duration_ms =
        u32::try_from(samples.len() as u64 * 1_000 / u64::from(rate)).unwrap_or(u32::MAX);
    CallerMessage {
        duration_ms,
        wav: Arc::new(wav_file(rate, samples)),
    }
}

/// What the embedded PBX records when the caller gave no audio: two seconds of 8 kHz 16-bit mono
/// that sound like speech — six "syllables" of a voiced tone (a gliding fundamental and three
/// harmonics) with a rise-and-fall envelope, short pauses, and a little breath noise. The same
/// bytes every time.
pub fn generated_message() -> CallerMessage {
    const RATE: u32 = 8_000;
    const SYLLABLE: usize = 280 * 8; // 280 ms
    const PAUSE: usize = 50 * 8; // 50 ms
    let pitches = [150.0, 175.0, 140.0, 190.0, 160.0, 125.0];
    let mut samples = Vec::with_capacity(2 * RATE as usize);
    let mut noise: u32 = 0x1234_5678;
    let mut phase = 0.0f64;
    for (i, base) in pitches.iter().enumerate() {
        for n in 0..SYLLABLE {
            let t = n as f64 / SYLLABLE as f64;
            // The pitch glides down a little through each syllable, as speech does.
            let f0 = base * (1.1 - 0.2 * t);
            phase += std::f64::consts::TAU * f0 / f64::from(RATE);
            let voiced = phase.sin() + 0.5 * (2.0 * phase).sin() + 0.3 * (3.0 * phase).sin()
                - 0.15 * (5.0 * phase + i as f64).sin();
            noise = noise.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let breath = f64::from(noise >> 16) / 65_536.0 - 0.5;
            let envelope = (std::f64::consts::PI * t).sin().powf(1.5);
            let v = envelope * (0.55 * voiced + 0.08 * breath) * 9_000.0;
            samples.push(v.clamp(-32_000.0, 32_000.0) as i16);
        }
        samples.extend(std::iter::repeat_n(0i16, PAUSE));
    }
    samples.resize(2 * RATE as usize, 0);
    let wav = wav_file(RATE, &samples);
    CallerMessage {
        duration_ms: 2_000,
        wav: Arc::new(wav),
    }
}

/// The message `audio` left on the ended call `owned`, for its owner's mailbox.
pub fn message_for(owned: &OwnedCall, audio: &CallerMessage, now: Timestamp) -> NewVoicemail {
    NewVoicemail {
        customer_id: owned.customer_id.clone(),
        user_id: owned.user_id.clone(),
        message: VoicemailMessage {
            id: auth::new_id(),
            call_id: owned.call.id.clone(),
            from: owned.call.from.clone(),
            created_at: now,
            duration_ms: audio.duration_ms,
            heard: false,
        },
        audio: audio.wav.as_ref().clone(),
    }
}

/// Whether `user_id`'s mailbox takes a call now: on, and not full.
pub async fn mailbox_takes(state: &AppState, user_id: &str) -> ApiResult<bool> {
    let (on, held) = state.store.mailbox_state(user_id).await?;
    Ok(on && held < crate::store::MAX_MESSAGES)
}

/// Refuses message ids longer than any we issue (404, like an unknown one).
fn bounded(id: &str) -> ApiResult<()> {
    if id.len() > MAX_ID_LEN {
        return Err(ApiError::NotFound("there is no such message"));
    }
    Ok(())
}

/// `GET /voicemail`: the user's own mailbox.
pub async fn mailbox(state: &AppState, account: &Account) -> ApiResult<Mailbox> {
    let (enabled, _) = state.store.mailbox_state(&account.user.id).await?;
    let (unheard, messages) = state
        .store
        .voicemails(&account.customer_id, &account.user.id)
        .await?;
    Ok(Mailbox {
        enabled,
        unheard,
        messages,
    })
}

/// `GET /voicemail/<id>/audio`: the WAV bytes of one of the user's own messages.
pub async fn audio(state: &AppState, account: &Account, id: &str) -> ApiResult<Vec<u8>> {
    bounded(id)?;
    state
        .store
        .voicemail_audio(&account.customer_id, &account.user.id, id)
        .await?
        .ok_or(ApiError::NotFound("there is no such message"))
}

/// `POST /voicemail/<id>/heard`.
pub async fn heard(state: &AppState, account: &Account, id: &str) -> ApiResult<VoicemailMessage> {
    bounded(id)?;
    let message = state
        .store
        .mark_voicemail_heard(&account.customer_id, &account.user.id, id)
        .await?
        .ok_or(ApiError::NotFound("there is no such message"))?;
    state.hub.notify(&account.customer_id).await;
    Ok(message)
}

/// `DELETE /voicemail/<id>`.
pub async fn delete(state: &AppState, account: &Account, id: &str) -> ApiResult<()> {
    bounded(id)?;
    if !state
        .store
        .delete_voicemail(&account.customer_id, &account.user.id, id)
        .await?
    {
        return Err(ApiError::NotFound("there is no such message"));
    }
    state.hub.notify(&account.customer_id).await;
    Ok(())
}

/// The time a message is stored at.
pub fn now() -> Timestamp {
    Utc::now().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcm(rate: u32, channels: u16, bits: u16, data: usize) -> Vec<u8> {
        let align = channels * bits / 8;
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(36 + data as u32).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
        b.extend_from_slice(&align.to_le_bytes());
        b.extend_from_slice(&bits.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&(data as u32).to_le_bytes());
        b.resize(44 + data, 0);
        b
    }

    #[test]
    fn pcm_wav_files_are_measured() {
        assert_eq!(validate_wav(&pcm(8_000, 1, 16, 16_000)), Ok(1_000));
        assert_eq!(validate_wav(&pcm(8_000, 1, 8, 8_000 * 60)), Ok(60_000));
        assert_eq!(validate_wav(&pcm(16_000, 2, 16, 64_000)), Ok(1_000));
    }

    #[test]
    fn what_is_not_a_short_pcm_wav_is_refused_with_its_reason() {
        assert_eq!(validate_wav(b"ID3\x04 an mp3"), Err(WavError::NotWav));
        assert_eq!(
            validate_wav(&pcm(8_000, 1, 8, 8_000 * 60 + 8)),
            Err(WavError::TooLong)
        );
        assert_eq!(
            validate_wav(&pcm(8_000, 1, 16, MAX_MESSAGE_BYTES)),
            Err(WavError::TooLarge)
        );
        assert!(matches!(
            validate_wav(&pcm(4_000, 1, 16, 100)),
            Err(WavError::Format(_))
        ));
        assert!(matches!(
            validate_wav(&pcm(8_000, 6, 16, 120)),
            Err(WavError::Format(_))
        ));
        let mut float = pcm(8_000, 1, 16, 100);
        float[20] = 3;
        assert!(matches!(validate_wav(&float), Err(WavError::Format(_))));
        let mut cut = pcm(8_000, 1, 16, 100);
        cut.truncate(80);
        assert_eq!(validate_wav(&cut), Err(WavError::Truncated));
        assert_eq!(validate_wav(&pcm(8_000, 1, 16, 0)), Err(WavError::NoData));
        let mut odd = pcm(8_000, 1, 16, 101);
        odd.push(0);
        assert_eq!(validate_wav(&odd), Err(WavError::Truncated), "half a frame");
        assert_eq!(
            caller_message(Some("not base64!")),
            Err(WavError::NotBase64)
        );
    }

    #[test]
    fn the_generated_message_is_a_valid_two_second_wav_and_always_the_same() {
        let m = generated_message();
        assert_eq!(validate_wav(&m.wav), Ok(2_000));
        assert_eq!(m.duration_ms, 2_000);
        assert_eq!(m, generated_message());
        assert!(m.wav[44..].iter().any(|b| *b != 0), "not silence");
    }
}
