//! The YIM reference SDK.
