//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_extended::{JwtManager, JwtManagerBuilder, clock::MockClock};
use serde_json::Value;

pub const SECRET: &str = "test-secret-key-0123456789-abcdefghijkl";
/// 2027-01-15T08:00:00Z: the fixed time tests start at.
pub const NOW: u64 = 1_800_000_000;

pub fn clock() -> MockClock {
    MockClock::at_unix(NOW)
}

pub fn builder(clock: &MockClock) -> JwtManagerBuilder {
    JwtManager::builder().secret(SECRET).clock(clock.clone())
}

pub fn manager() -> (JwtManager, MockClock) {
    let clock = clock();
    (builder(&clock).build().expect("test manager"), clock)
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).expect("base64")
}

/// Signs raw header and payload JSON text (so tests can craft duplicates, odd types...)
/// with HS256 and `secret`.
pub fn sign_raw(header: &str, payload: &str, secret: &str) -> String {
    sign_raw_alg(
        header,
        payload,
        secret.as_bytes(),
        jsonwebtoken::Algorithm::HS256,
    )
}

pub fn sign_raw_alg(
    header: &str,
    payload: &str,
    secret: &[u8],
    alg: jsonwebtoken::Algorithm,
) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let key = jsonwebtoken::EncodingKey::from_secret(secret);
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, alg).expect("sign");
    format!("{input}.{sig}")
}

/// Signs `claims` with the test secret and a standard HS256 header.
pub fn sign_claims(claims: &Value) -> String {
    sign_raw(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &claims.to_string(),
        SECRET,
    )
}

/// The decoded payload of a token, without verification (for inspecting what we minted).
pub fn payload_text(token: &str) -> String {
    let p = token.split('.').nth(1).expect("payload");
    String::from_utf8(unb64(p)).expect("utf8")
}

pub fn header_text(token: &str) -> String {
    let h = token.split('.').next().expect("header");
    String::from_utf8(unb64(h)).expect("utf8")
}

pub fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}
