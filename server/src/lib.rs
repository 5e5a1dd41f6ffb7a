//! The YIM reference server.
