//! The API's one error type: every 4xx/5xx leaves through [`ApiError`], as
//! `{"error": "<code>", "message": "<sentence>"}`. A 500 says nothing internal; its cause is logged.

use axum::Json;
use axum::extract::FromRequest;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ucclient_core::api::{ErrorBody, ErrorCode};

use crate::media::MediaError;
use crate::store::StoreError;

/// Everything a handler can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 (or 413 when `too_large`): malformed input.
    #[error("{message}")]
    BadRequest {
        /// The sentence.
        message: String,
        /// Whether the body was over the limit.
        too_large: bool,
    },
    /// 401: no valid token.
    #[error("sign in first")]
    Unauthenticated,
    /// 401: wrong email or password (one answer for both).
    #[error("the email or password is not right")]
    InvalidCredentials,
    /// 403: the user lacks the `crm_client` permission.
    #[error("UcClient CRM is not enabled for your account")]
    ClientNotLicensed,
    /// 403: not allowed for this user.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404: nothing there, or not visible to this user.
    #[error("{0}")]
    NotFound(&'static str),
    /// 422: unknown profile id.
    #[error("there is no profile {0}")]
    UnknownProfile(String),
    /// 422: a number that cannot be dialled; the sentence is core's `PhoneError`.
    #[error("{0}")]
    InvalidNumber(String),
    /// 422 `invalid_number`: a dialled input refused by `core::phone::dial_target`, with core's
    /// sentence (the same the widget's preview shows) and, for an extension nobody has, the
    /// `reason` `unknown_extension`.
    #[error("{0}")]
    Dial(ucclient_core::phone::DialError),
    /// 422: a device that is not one of the user's.
    #[error("that device is not one of yours")]
    UnknownDevice,
    /// 409: answer or decline of a call that is not ringing for the user.
    #[error("the call is not ringing any more")]
    CallNotRinging,
    /// 409: hold of a call that is not connected or already held, or transfer of one that is not
    /// connected.
    #[error("the call is not connected, or is on hold already")]
    CallNotConnected,
    /// 409: resume of a call that is not on hold.
    #[error("the call is not on hold")]
    CallNotHeld,
    /// 422 `invalid_number` with the `reason` `transfer_to_self`: a transfer to the user's own
    /// extension or to the party they are talking to.
    #[error("a call cannot be transferred to yourself or to the person on it")]
    TransferToSelf,
    /// 409: a consultation asked for while the call has one, or from a consultation leg.
    #[error("this call already has a consultation; complete or cancel it first")]
    AlreadyConsulting,
    /// 409: completing or cancelling a consultation there is not (or not yet answered).
    #[error("{0}")]
    NotConsulting(&'static str),
    /// 422: settings refused; the sentence is core's `SettingsError`.
    #[error("{0}")]
    InvalidSettings(String),
    /// 422: audio that is not a short PCM WAV; the sentence says what is wrong.
    #[error("{0}")]
    InvalidAudio(String),
    /// 409: needs active mode.
    #[error("profile settings can only be changed when your provider runs active mode")]
    ActiveModeRequired,
    /// 429: too many requests; retry after this many seconds.
    #[error("too many requests; try again in {0} seconds")]
    RateLimited(u64),
    /// 403: signing in from a CRM org registered to another customer.
    #[error(
        "this CRM org is registered to another company on UcClient, so you cannot sign in from it; \
         sign in from your own company's CRM"
    )]
    OrgNotAllowed,
    /// 422: a CRM org to register that is not valid; the sentence says why.
    #[error("{0}")]
    InvalidOrg(String),
    /// 409: the CRM org is registered already.
    #[error("this CRM org is registered already, to your company or another one")]
    OrgTaken,
    /// 409: the customer has as many CRM orgs as allowed.
    #[error("your company has registered as many CRM orgs as allowed ({0}); remove one first")]
    TooManyOrgs(usize),
    /// 503: too many live connections.
    #[error("too many live connections; try again later")]
    Unavailable,
    /// 503 `unavailable` with `Retry-After`: the server is at a bound it will not queue past
    /// (password hashing, database connections); retry after this many seconds.
    #[error("the service is busy; try again in {0} seconds")]
    Busy(u64),
    /// 409 `call_not_ended`: a wrap-up or CRM record of a call that is not over yet.
    #[error("the call is not over yet")]
    CallNotEnded,
    /// 422 `invalid_wrap_up` with core's reason: a wrap-up or CRM record refused by
    /// `core::wrapup`, with its sentence.
    #[error("{0}")]
    WrapUp(ucclient_core::wrapup::WrapUpError),
    /// 422 `invalid_sdp`: a media offer that is not an SDP audio offer the media endpoint can
    /// answer, or too long; the sentence says why.
    #[error("{0}")]
    InvalidSdp(String),
    /// 409 `call_ended`: media offered for a call that is over.
    #[error("the call is over; it can no longer carry audio")]
    CallEnded,
    /// 500: logged, never described.
    #[error("something went wrong on our side")]
    Internal(String),
    /// 409 `email_taken`: the email is another user's login already (admin API).
    #[error("this email is another user's login already")]
    EmailTaken,
    /// 409 `extension_taken`: the extension is a user's or hunt group's of the customer (admin API).
    #[error("this extension is another user's or hunt group's already")]
    ExtensionTaken,
    /// 422 `invalid_user`: a user to create or change that is not valid; the sentence says why.
    #[error("{0}")]
    InvalidUser(String),
    /// 409 `own_account`: an administrator deactivating or demoting themselves.
    #[error("you cannot deactivate your own account or change your own role")]
    OwnAccount,
    /// 409 `passwords_off`: a password set while the customer has password sign-in switched off.
    #[error("your company signs in with its identity provider only; passwords are switched off")]
    PasswordsOff,
    /// 422 `invalid_device`: a device to add that is not valid; the sentence says why.
    #[error("{0}")]
    InvalidDevice(String),
    /// 422 `invalid_group`: a hunt group that is not valid; the sentence says why.
    #[error("{0}")]
    InvalidGroup(String),
    /// 422 `invalid_customer`: a customer to create that is not valid; the sentence says why.
    #[error("{0}")]
    InvalidCustomer(String),
    // --- sso: single sign-on (issue 15) ---
    /// 403 `password_login_off`: the user's company signs in with its identity provider only.
    #[error(
        "your company signs in with its own identity provider: use \"Sign in with\" your company \
         instead of a password"
    )]
    PasswordLoginOff,
    /// 404 `sso_not_configured`: the company has no single sign-on switched on.
    #[error("this company has no single sign-on switched on")]
    SsoNotConfigured,
    /// 422 `invalid_sso`: settings refused; the sentence says why.
    #[error("{0}")]
    InvalidSso(String),
    /// A single sign-on refused; the code and sentence are the failure's.
    #[error("{0}")]
    Sso(crate::sso::SsoFailure),
    // --- presence-server: the customer's CRM presence map (issue 14) ---
    /// 422 `invalid_crm_presence`: a CRM presence map refused by core, with its sentence.
    #[error("{0}")]
    InvalidCrmPresence(ucclient_core::crm_presence::CrmPresenceError),
    // --- idempotency: the `Idempotency-Key` header of writes (issue 16) ---
    /// 400 `invalid_idempotency_key`: the header is not 1-255 visible ASCII characters.
    #[error(
        "the Idempotency-Key header must be one value of 1 to 255 visible ASCII characters \
         (letters, digits and punctuation, no spaces)"
    )]
    InvalidIdempotencyKey,
    /// 422 `idempotency_key_reused`: the key was used by this session for another request.
    #[error(
        "this Idempotency-Key was used before for a different request (method, path or body); \
         use a new key for a new request"
    )]
    IdempotencyKeyReused,
    /// 409 `idempotency_key_in_flight`: the key's first request is still being processed.
    #[error(
        "the first request with this Idempotency-Key is still being processed; retry in a moment \
         to get its answer"
    )]
    IdempotencyKeyInFlight,
    // --- soft-server: the softphone (issue 17) ---
    /// 409 `softphone_not_registered`: the registration a request names is not the user's current
    /// one (another panel took over, it expired or ended).
    #[error(
        "this panel is not your softphone any more: another tab or CRM took over, or it expired; \
         register it again"
    )]
    SoftphoneNotRegistered,
}

impl ApiError {
    /// A 400 with this sentence.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            message: message.into(),
            too_large: false,
        }
    }

    /// The status and code this error answers with.
    pub fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            ApiError::BadRequest {
                too_large: true, ..
            } => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::BadRequest),
            ApiError::BadRequest { .. } => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated),
            ApiError::InvalidCredentials => {
                (StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials)
            }
            ApiError::ClientNotLicensed => (StatusCode::FORBIDDEN, ErrorCode::ClientNotLicensed),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            ApiError::UnknownProfile(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::UnknownProfile)
            }
            ApiError::InvalidNumber(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidNumber)
            }
            ApiError::Dial(e) => (StatusCode::UNPROCESSABLE_ENTITY, e.code()),
            ApiError::UnknownDevice => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::UnknownDevice),
            ApiError::CallNotRinging => (StatusCode::CONFLICT, ErrorCode::CallNotRinging),
            ApiError::CallNotConnected => (StatusCode::CONFLICT, ErrorCode::CallNotConnected),
            ApiError::CallNotHeld => (StatusCode::CONFLICT, ErrorCode::CallNotHeld),
            ApiError::AlreadyConsulting => (StatusCode::CONFLICT, ErrorCode::AlreadyConsulting),
            ApiError::NotConsulting(_) => (StatusCode::CONFLICT, ErrorCode::NotConsulting),
            ApiError::TransferToSelf => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidNumber)
            }
            ApiError::InvalidSettings(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidSettings)
            }
            ApiError::InvalidAudio(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidAudio)
            }
            ApiError::ActiveModeRequired => (StatusCode::CONFLICT, ErrorCode::ActiveModeRequired),
            ApiError::OrgNotAllowed => (StatusCode::FORBIDDEN, ErrorCode::OrgNotAllowed),
            ApiError::InvalidOrg(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidOrg),
            ApiError::OrgTaken => (StatusCode::CONFLICT, ErrorCode::OrgTaken),
            ApiError::TooManyOrgs(_) => (StatusCode::CONFLICT, ErrorCode::TooManyOrgs),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            ApiError::Unavailable | ApiError::Busy(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable)
            }
            ApiError::CallNotEnded => (StatusCode::CONFLICT, ErrorCode::CallNotEnded),
            ApiError::WrapUp(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidWrapUp),
            ApiError::InvalidSdp(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidSdp),
            ApiError::CallEnded => (StatusCode::CONFLICT, ErrorCode::CallEnded),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
            ApiError::EmailTaken => (StatusCode::CONFLICT, ErrorCode::EmailTaken),
            ApiError::ExtensionTaken => (StatusCode::CONFLICT, ErrorCode::ExtensionTaken),
            ApiError::InvalidUser(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidUser),
            ApiError::OwnAccount => (StatusCode::CONFLICT, ErrorCode::OwnAccount),
            ApiError::PasswordsOff => (StatusCode::CONFLICT, ErrorCode::PasswordsOff),
            ApiError::InvalidDevice(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidDevice)
            }
            ApiError::InvalidGroup(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidGroup)
            }
            ApiError::InvalidCustomer(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidCustomer)
            }
            ApiError::PasswordLoginOff => (StatusCode::FORBIDDEN, ErrorCode::PasswordLoginOff),
            ApiError::SsoNotConfigured => (StatusCode::NOT_FOUND, ErrorCode::SsoNotConfigured),
            ApiError::InvalidSso(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidSso),
            ApiError::Sso(f) => (f.status(), f.code()),
            // --- presence-server: the customer's CRM presence map (issue 14) ---
            ApiError::InvalidCrmPresence(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidCrmPresence,
            ),
            ApiError::InvalidIdempotencyKey => {
                (StatusCode::BAD_REQUEST, ErrorCode::InvalidIdempotencyKey)
            }
            ApiError::IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::IdempotencyKeyReused,
            ),
            ApiError::IdempotencyKeyInFlight => {
                (StatusCode::CONFLICT, ErrorCode::IdempotencyKeyInFlight)
            }
            ApiError::SoftphoneNotRegistered => {
                (StatusCode::CONFLICT, ErrorCode::SoftphoneNotRegistered)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let body = ErrorBody {
            error: code,
            message: self.to_string(),
            reason: match &self {
                ApiError::Dial(e) => e.reason(),
                ApiError::TransferToSelf => Some(ErrorCode::TransferToSelf),
                ApiError::WrapUp(e) => Some(wrap_up_reason(e)),
                _ => None,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::RateLimited(secs) | ApiError::Busy(secs) = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&secs.to_string()).unwrap_or(HeaderValue::from_static("60")),
            );
        }
        response
    }
}

/// The `reason` of a 422 `invalid_wrap_up`: which of core's wrap-up rules refused it.
fn wrap_up_reason(e: &ucclient_core::wrapup::WrapUpError) -> ErrorCode {
    use ucclient_core::wrapup::WrapUpError as E;
    match e {
        E::NotesTooLong => ErrorCode::NotesTooLong,
        E::InvalidNotes => ErrorCode::InvalidNotes,
        E::InvalidCrmRecord => ErrorCode::InvalidCrmRecord,
        // The customer's list and limit are the CLI's (never a request's): a request only meets
        // an unknown code.
        _ => ErrorCode::UnknownDisposition,
    }
}

/// Seconds a client is told to wait when the database could not serve it in time.
pub const DB_BUSY_RETRY_SECS: u64 = 1;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            // No connection within the bound: overload, not a fault. Logged, never described.
            StoreError::Db(sqlx::Error::PoolTimedOut) => {
                tracing::warn!("no database connection within the acquire bound; answering 503");
                ApiError::Busy(DB_BUSY_RETRY_SECS)
            }
            // The database server is gone for now (PostgreSQL restarting, the network to it
            // down): nothing was written, so the client may retry. Logged, never described.
            StoreError::Db(e) if unreachable(&e) => {
                tracing::warn!(error = %e, "the database is unreachable; answering 503");
                ApiError::Busy(DB_BUSY_RETRY_SECS)
            }
            e => ApiError::Internal(e.to_string()),
        }
    }
}

/// Whether a database error says the server cannot be reached right now rather than that the
/// request failed: the connection could not be made or was lost (I/O, a closed pool), or
/// PostgreSQL is shutting down or starting (SQLSTATE class 08, connection exception; 57P01–57P03).
fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let too_large = r.status() == StatusCode::PAYLOAD_TOO_LARGE;
        let message = if too_large {
            "the request body is too large".to_owned()
        } else {
            // axum's text names the field and the problem, never anything of ours.
            format!("the request body is not valid: {}", r.body_text())
        };
        ApiError::BadRequest { message, too_large }
    }
}

/// `Json` whose rejection is an [`ApiError`] in the API's error shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let Json(v) = Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(v))
    }
}

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// Handler results.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<MediaError> for ApiError {
    fn from(e: MediaError) -> ApiError {
        match e {
            MediaError::InvalidSdp(why) => ApiError::InvalidSdp(why),
            MediaError::Full => ApiError::Unavailable,
            MediaError::Down(cause) => ApiError::Internal(format!("media endpoint: {cause}")),
        }
    }
}
