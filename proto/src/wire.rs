//! The types generated from `proto/yim.proto` (by prost-build, at build time): every frame and
//! message on the wire. Nothing else lives here: helpers on [`Frame`] are in the crate root.

include!(concat!(env!("OUT_DIR"), "/yim.v1.rs"));
