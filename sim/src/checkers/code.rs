//! The YIM codes the checkers reason about, by short names. A leaf: it imports no checker, so
//! the checkers and the facts they share (`facts.rs`) can all use it.

use yim_sdk::ErrorCode;

pub const SUCCESS: ErrorCode = ErrorCode::Success;
pub const PARAM_INVALID: ErrorCode = ErrorCode::ParamInvalid;
pub const STATUS_ERROR: ErrorCode = ErrorCode::StatusError;
pub const TIME_OUT: ErrorCode = ErrorCode::TimeOut;
pub const ALREADY_LOGIN: ErrorCode = ErrorCode::AlreadyLogin;
pub const NET_ERROR: ErrorCode = ErrorCode::NetError;
pub const USERNAME_PASSWORD_ERROR: ErrorCode = ErrorCode::UsernamePasswordError;
pub const FORBIDDEN_SPEAK: ErrorCode = ErrorCode::ForbiddenSpeak;
