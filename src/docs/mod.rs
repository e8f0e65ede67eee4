//! Guides: longer reading than the crate root, on docs.rs with the API.

#[doc = include_str!("migrating-from-flask.md")]
pub mod migrating_from_flask {}
