//! C. Encoding and shape (cases 17–22).

use std::time::{Duration, Instant};

use axum::body::Body;
use http::Method;
use jwt_extended::{Algorithm, TokenLocation};
use serde_json::json;

use crate::support::*;

/// Case 17: wrong numbers of segments, and JWS JSON serialization, through the header and
/// the query string. Decode level: `tokens::scenario_12_not_enough_segments`.
#[tokio::test]
async fn case_17_segments() {
    let clock = clock();
    let m = builder(&clock)
        .token_locations([TokenLocation::Headers, TokenLocation::QueryString])
        .build()
        .unwrap();
    let app = app(&m);
    let answer = send_with(&app, raw_auth("/protected", b"Bearer "), "").await;
    expect(&answer, 422, BAD_HEADER);
    let json_serialization = r#"{"payload":"eyJzdWIiOiJhIn0","signatures":[]}"#;
    for (token, msg) in [
        ("a", "Not enough segments"),
        ("a.b", "Not enough segments"),
        ("..", "Invalid header string: invalid JSON"),
        ("...", "Too many segments"),
        ("a.b.c.d", "Too many segments"),
        ("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", "Too many segments"),
        (json_serialization, "Not enough segments"),
    ] {
        // A comma ends the header's token (the grammar splits on it): the query carries
        // the token whole.
        if !token.contains(',') {
            rejects(&app, token, 422, msg).await;
        }
        let query = format!("/protected?jwt={}", urlencode(token));
        let req = request(Method::GET, &query).body(Body::empty()).unwrap();
        expect(&send_with(&app, req, token).await, 422, msg);
    }
}

/// Percent-encodes every byte but the unreserved ones.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Case 18: only canonical unpadded base64url is accepted, and the token is handed over
/// byte-exact (the header value is trimmed, never the token's insides). Decode level:
/// `tokens::base64_must_be_canonical`.
#[tokio::test]
async fn case_18_base64_variants() {
    let clock = clock();
    let m = builder(&clock)
        .token_locations([TokenLocation::Headers, TokenLocation::QueryString])
        .build()
        .unwrap();
    let app = app(&m);
    // A token whose signature has a character that base64 and base64url spell apart.
    let t = (0..)
        .map(|_| m.create_access_token("alice").unwrap())
        .find(|t| {
            let sig = t.rsplit('.').next().unwrap();
            sig.contains('-') || sig.contains('_')
        })
        .unwrap();
    let (h, p, s) = segments(&t);
    let flip_last = |seg: &str| {
        // The last character of a 43-character segment carries 2 unused bits: set one.
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let last = seg.as_bytes()[seg.len() - 1];
        let i = ALPHABET.iter().position(|c| *c == last).unwrap();
        format!("{}{}", &seg[..seg.len() - 1], ALPHABET[i ^ 1] as char)
    };
    assert_eq!(s.len(), 43);
    for (token, msg) in [
        (format!("{h}=.{p}.{s}"), "Invalid header padding"),
        (format!("{h}.{p}=.{s}"), SIG_FAILED),
        (format!("{h}.{p}.{s}="), "Invalid crypto padding"),
        (
            format!("{h}.{p}.{}", s.replace('-', "+").replace('_', "/")),
            "Invalid crypto padding",
        ),
        (
            format!("{h}.{p}.{}", flip_last(s)),
            "Invalid crypto padding",
        ),
        (format!(" {t}"), "Invalid header padding"),
        (format!("{t} "), "Invalid crypto padding"),
        (format!("{t}\n"), "Invalid crypto padding"),
        (format!("\0{t}"), "Invalid header padding"),
        (format!("{t}\0"), "Invalid crypto padding"),
        (format!("{h}.{p}.\t{s}"), "Invalid crypto padding"),
    ] {
        let query = format!("/protected?jwt={}", urlencode(&token));
        let req = request(Method::GET, &query).body(Body::empty()).unwrap();
        expect(&send_with(&app, req, &t).await, 422, msg);
        if !token.contains([' ', '\n', '\0', '\t']) {
            rejects(&app, &token, 422, msg).await;
        }
    }
    // Whitespace around the header's token is the header's, not the token's.
    for value in [
        format!("Bearer  {t}"),
        format!("Bearer {t} "),
        format!("Bearer\t{t}"),
    ] {
        let answer = send_with(&app, raw_auth("/protected", value.as_bytes()), &t).await;
        assert_eq!(answer.sub(), (200, json!("alice")), "{value:?}");
    }
}

/// Case 19 (RFC 8725 §3.7): header or payload JSON that is not valid UTF-8 JSON, with a
/// valid signature.
#[tokio::test]
async fn case_19_bad_json() {
    let (m, _) = manager();
    let app = app(&m);
    let good_header = br#"{"alg":"HS256","typ":"JWT"}"#;
    let payload = claims().to_string();
    for header in [
        &br#"{"alg":"HS256","x":"\xff"}"#[..],
        b"\xef\xbb\xbf{\"alg\":\"HS256\"}",
        br#"{"alg":"HS256"} x"#,
        br#"{"alg":"HS256","x":"\ud800"}"#,
        b"{\"alg\":\"HS256\",\"x\":\"\xc0\xaf\"}",
        b"{\"alg\":\"HS256\"\0}",
        br#"{"alg":"HS256",}"#,
        br#"{'alg':'HS256'}"#,
    ] {
        let t = sign_bytes(
            header,
            payload.as_bytes(),
            SECRET.as_bytes(),
            Algorithm::HS256,
        );
        rejects(&app, &t, 422, "Invalid header string: invalid JSON").await;
    }
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend(payload.as_bytes());
    let mut trailing = payload.as_bytes().to_vec();
    trailing.extend(b" garbage");
    let mut bad_utf8 = payload.trim_end_matches('}').as_bytes().to_vec();
    bad_utf8.extend(b",\"x\":\"\xff\xfe\"}");
    let mut surrogate = payload.trim_end_matches('}').as_bytes().to_vec();
    surrogate.extend(br#","x":"\ud800"}"#);
    let mut nan = payload.trim_end_matches('}').as_bytes().to_vec();
    nan.extend(br#","x":NaN}"#);
    for p in [bom, trailing, bad_utf8, surrogate, nan] {
        let t = sign_bytes(good_header, &p, SECRET.as_bytes(), Algorithm::HS256);
        rejects(&app, &t, 422, "Invalid payload string: invalid JSON").await;
    }
}

/// Case 20: a payload that is valid JSON but not an object (a claims struct would take an
/// array positionally). Decode level: `tokens::payload_must_be_a_json_object`.
#[tokio::test]
async fn case_20_payload_not_an_object() {
    let (m, _) = manager();
    let app = app(&m);
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let positional = json!([false, NOW, "jti", "access", "alice", NOW, NOW + 900]).to_string();
    for p in [positional.as_str(), "[]", r#""x""#, "null", "123", "true"] {
        rejects(
            &app,
            &sign_raw(header, p, SECRET),
            422,
            "Invalid payload string: must be a json object",
        )
        .await;
    }
    for h in ["[]", r#"["HS256"]"#, "null"] {
        let t = sign_raw(h, &claims().to_string(), SECRET);
        rejects(
            &app,
            &t,
            422,
            "Invalid header string: must be a json object",
        )
        .await;
    }
}

/// Case 21: duplicate claims are refused, the registered ones and FJE's private ones
/// alike (stricter than last-wins: `{"type":"refresh","type":"access"}` cannot be read two
/// ways). Decode level: `tokens::duplicate_members_are_refused`.
#[tokio::test]
async fn case_21_duplicate_claims() {
    let (m, _) = manager();
    let app = app(&m);
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let expired = NOW - 10;
    let future = NOW + 900;
    for (name, first, second) in [
        ("exp", json!(expired), json!(future)),
        ("exp", json!(future), json!(expired)),
        ("sub", json!("alice"), json!("admin")),
        ("iss", json!("a"), json!("b")),
        ("aud", json!("a"), json!("b")),
        ("nbf", json!(NOW), json!(NOW)),
        ("iat", json!(NOW), json!(NOW)),
        ("type", json!("refresh"), json!("access")),
        ("fresh", json!(false), json!(true)),
        ("jti", json!("a"), json!("b")),
        ("csrf", json!("a"), json!("b")),
        ("custom", json!(1), json!(2)),
    ] {
        let base = claims_without(name).to_string();
        let payload = format!(
            r#"{},"{name}":{first},"{name}":{second}}}"#,
            base.trim_end_matches('}')
        );
        rejects(
            &app,
            &sign_raw(header, &payload, SECRET),
            422,
            "Invalid payload string: duplicate claim",
        )
        .await;
    }
    // Nested objects may repeat names of the outer one.
    let t = sign_claims(&claims_with("nested", json!({"sub": "x", "exp": 1})));
    accepts(&app, &t, "alice").await;
}

/// Case 22: deep nesting in a claim or in the header is a 422 (serde_json's recursion
/// limit stays on), never a stack overflow, and quick.
#[tokio::test]
async fn case_22_depth_bomb() {
    let clock = clock();
    let big = builder(&clock).max_token_len(1024 * 1024).build().unwrap();
    let app_big = app(&big);
    let app_default = app(&builder(&clock).build().unwrap());
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let bomb = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let payload = format!(
        r#"{},"deep":{}}}"#,
        claims().to_string().trim_end_matches('}'),
        bomb(100_000)
    );
    let t = sign_raw(header, &payload, SECRET);
    let started = Instant::now();
    rejects(&app_big, &t, 422, "Invalid payload string: invalid JSON").await;
    rejects(&app_default, &t, 422, "Token is too large").await;
    // 200 levels fit in the header's 1 KiB and exceed the recursion limit.
    let h = format!(r#"{{"alg":"HS256","x":{}}}"#, bomb(200));
    let t = sign_raw(&h, &claims().to_string(), SECRET);
    rejects(&app_big, &t, 422, "Invalid header string: invalid JSON").await;
    let h = format!(r#"{{"alg":"HS256","x":{}}}"#, bomb(100_000));
    let t = sign_raw(&h, &claims().to_string(), SECRET);
    rejects(&app_big, &t, 422, "Token header is too large").await;
    // 100 levels are within the limit: a legitimate (if odd) claim.
    let payload = format!(
        r#"{},"deep":{}}}"#,
        claims().to_string().trim_end_matches('}'),
        bomb(100)
    );
    accepts(&app_default, &sign_raw(header, &payload, SECRET), "alice").await;
    assert!(started.elapsed() < Duration::from_secs(5));
}
