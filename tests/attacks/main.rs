//! The attack battery of the security reference (§1, 62 cases), each case through a real
//! `tower::Service`: an axum `Router` with `JwtLayer` and the guards, driven by
//! `ServiceExt::oneshot`. Every test is named after its case and asserts the exact status
//! and message; every response is also checked for the invariants of the battery: no 5xx
//! from client input (unless the case is a failing store), and no echo of the token.
//!
//! Where an existing test covers a case in more depth (decode level in `tests/tokens.rs`,
//! locations in `tests/locations.rs`, stores in `tests/store*.rs`), the case here adds the
//! HTTP-level answer and names the other test.
//!
//! Not here: cases 52 and 53 (refresh-token rotation and its race) belong with the
//! rotation feature and its own tests.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/redis_server.rs"]
mod redis_server;

mod support;

mod a_algorithm;
mod b_header;
mod c_encoding;
mod d_time;
mod e_claims;
mod f_extraction;
mod g_csrf;
mod h_revocation;
mod j_config;
