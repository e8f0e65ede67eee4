//! Interoperability with Flask-JWT-Extended 4.7.4: tokens it minted verify here with the
//! same claims, and tokens minted here verify there (when a Python with
//! flask-jwt-extended is available: `FJE_PYTHON`, which `.ci/run` always sets).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::fixture;
use jwt_extended::{
    Algorithm, ErrorKind, JwtManager, JwtManagerBuilder, clock::Clock, clock::MockClock,
};
use serde_json::{Value, json};

fn fixtures() -> Value {
    serde_json::from_str(&fixture("flask_tokens.json")).unwrap()
}

fn manager_for(fx: &Value, entry: &Value, clock: &MockClock) -> JwtManagerBuilder {
    let config = &entry["config"];
    let alg: Algorithm = config["JWT_ALGORITHM"].as_str().unwrap().parse().unwrap();
    let mut b = JwtManager::builder().algorithm(alg).clock(clock.clone());
    b = match entry.get("public_pem") {
        Some(public) => b
            .public_key_pem(public.as_str().unwrap())
            .private_key_pem(entry["private_pem"].as_str().unwrap()),
        None => b.secret(fx["secret"].as_str().unwrap()),
    };
    if let Some(aud) = config["JWT_DECODE_AUDIENCE"].as_str() {
        b = b.decode_audience([aud]).encode_audience(aud);
    }
    if let Some(iss) = config["JWT_DECODE_ISSUER"].as_str() {
        b = b.decode_issuer(iss).encode_issuer(iss);
    }
    b.csrf_protect(config["JWT_COOKIE_CSRF_PROTECT"].as_bool().unwrap())
}

#[test]
fn flask_tokens_verify_with_the_same_claims() {
    let fx = fixtures();
    for (name, entry) in fx["tokens"].as_object().unwrap() {
        let iat = entry["claims"]["iat"].as_u64().unwrap();
        let clock = MockClock::at_unix(iat + 10);
        let mut b = manager_for(&fx, entry, &clock);
        if name == "access_no_exp" {
            b = b.accept_non_expiring_tokens(true);
        }
        let m = b.build().unwrap_or_else(|e| panic!("{name}: {e}"));
        let token = entry["token"].as_str().unwrap();
        match name.as_str() {
            "access_expired" => {
                let e = m.decode_token(token).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Expired);
                let d = m.decode_token_allow_expired(token).unwrap();
                assert_eq!(&Value::Object(d.claims().clone()), &entry["claims"]);
            }
            "access_int_identity" => {
                assert_eq!(
                    m.decode_token(token).unwrap_err().message(),
                    "Subject must be a string"
                );
                let lax = manager_for(&fx, entry, &clock)
                    .verify_sub(false)
                    .build()
                    .unwrap();
                assert_eq!(lax.decode_token(token).unwrap().identity(), &json!(1234));
            }
            _ => {
                let d = m
                    .decode_token(token)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(
                    &Value::Object(d.claims().clone()),
                    &entry["claims"],
                    "{name}"
                );
                assert_eq!(
                    &Value::Object(d.header().clone()),
                    &entry["header"],
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn flask_fresh_and_refresh_semantics() {
    let fx = fixtures();
    let t = &fx["tokens"];
    let clock = MockClock::at_unix(t["access_plain"]["claims"]["iat"].as_u64().unwrap() + 10);
    let m = manager_for(&fx, &t["access_plain"], &clock)
        .build()
        .unwrap();
    let now = clock.now().as_secs_f64();
    let decode = |n: &str| m.decode_token(t[n]["token"].as_str().unwrap()).unwrap();
    assert!(!decode("access_plain").fresh().is_fresh_at(now));
    assert!(decode("access_fresh_bool").fresh().is_fresh_at(now));
    assert!(decode("access_fresh_until").fresh().is_fresh_at(now));
    assert!(!decode("refresh").token_type().is_access());
    assert_eq!(decode("access_extra_headers").kid(), Some("k1"));
}

/// Our tokens, shaped like Flask's: same claim names, order and JSON shapes.
#[test]
fn our_tokens_have_flasks_shape() {
    let fx = fixtures();
    let flask = &fx["tokens"]["access_extra_claims"];
    let clock = MockClock::at_unix(flask["claims"]["iat"].as_u64().unwrap());
    let m = manager_for(&fx, flask, &clock).build().unwrap();
    let ours = m
        .access_token("alice")
        .expires_in(time::Duration::days(365 * 50))
        .claim("is_admin", true)
        .claim("roles", ["a", "b"])
        .claim("org", json!({"id": 7}))
        .create()
        .unwrap();
    let theirs = flask["token"].as_str().unwrap();
    let keys = |t: &str| -> Vec<String> {
        let text = common::payload_text(t);
        let mut out = Vec::new();
        let mut de = serde_json::Deserializer::from_str(&text);
        // Read the top-level keys in document order.
        use serde::de::{Deserializer as _, MapAccess, Visitor};
        struct V<'a>(&'a mut Vec<String>);
        impl<'de> Visitor<'de> for V<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
                while let Some(k) = a.next_key::<String>()? {
                    a.next_value::<serde::de::IgnoredAny>()?;
                    self.0.push(k);
                }
                Ok(())
            }
        }
        (&mut de).deserialize_map(V(&mut out)).unwrap();
        out
    };
    // The registered claims in Flask's order; extras follow (in key order here).
    let (ours_keys, theirs_keys) = (keys(&ours), keys(theirs));
    assert_eq!(ours_keys[..8], theirs_keys[..8]);
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    assert_eq!(sorted(&ours_keys[8..]), sorted(&theirs_keys[8..]));
    assert_eq!(common::header_text(&ours), common::header_text(theirs));
    let a = m.decode_token(&ours).unwrap();
    let b = m.decode_token(theirs).unwrap();
    for claim in [
        "fresh", "iat", "type", "sub", "nbf", "exp", "is_admin", "roles", "org",
    ] {
        assert_eq!(a.claim(claim), b.claim(claim), "{claim}");
    }
}

fn flask_python() -> Option<String> {
    match std::env::var("FJE_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must set FJE_PYTHON to a Python with flask-jwt-extended 4.7.4 (see .ci/run)"
            );
            eprintln!("FJE_PYTHON not set: skipping the Flask round trip (CI always runs it)");
            None
        }
    }
}

/// Tokens minted here, verified by Flask-JWT-Extended itself.
#[test]
fn flask_verifies_our_tokens() {
    let Some(python) = flask_python() else { return };
    let secret = "interop-secret-0123456789-abcdefghijklmn";
    let m = JwtManager::builder().secret(secret).build().unwrap();
    let rs = JwtManager::builder()
        .algorithm(Algorithm::RS256)
        .private_key_pem(fixture("keys/rsa_private.pem"))
        .public_key_pem(fixture("keys/rsa_public.pem"))
        .build()
        .unwrap();
    let ed = JwtManager::builder()
        .algorithm(Algorithm::EdDSA)
        .private_key_pem(fixture("keys/ed25519_private.pem"))
        .public_key_pem(fixture("keys/ed25519_public.pem"))
        .build()
        .unwrap();
    let expired = m
        .access_token("alice")
        .expires_in(time::Duration::seconds(-10))
        .create()
        .unwrap();
    let mut items = Vec::new();
    let mut push = |name: &str,
                    token: String,
                    key: String,
                    alg: &str,
                    expect: &str,
                    mgr: &JwtManager| {
        let claims = mgr
            .decode_token_allow_expired(&token)
            .map(|d| Value::Object(d.claims().clone()));
        let mut item = json!({"name": name, "token": token, "secret": key, "algorithm": alg, "expect": expect});
        if expect == "ok" {
            item["claims"] = claims.unwrap();
        }
        items.push(item);
    };
    push(
        "access",
        m.create_access_token("alice").unwrap(),
        secret.into(),
        "HS256",
        "ok",
        &m,
    );
    push(
        "fresh",
        m.access_token("alice")
            .fresh(true)
            .claim("is_admin", true)
            .create()
            .unwrap(),
        secret.into(),
        "HS256",
        "ok",
        &m,
    );
    push(
        "fresh_for",
        m.access_token("alice")
            .fresh_for(time::Duration::minutes(5))
            .create()
            .unwrap(),
        secret.into(),
        "HS256",
        "ok",
        &m,
    );
    push(
        "int_identity",
        m.create_access_token(42).unwrap(),
        secret.into(),
        "HS256",
        "ok",
        &m,
    );
    push(
        "refresh",
        m.create_refresh_token("alice").unwrap(),
        secret.into(),
        "HS256",
        "ok",
        &m,
    );
    push(
        "kid_header",
        m.access_token("alice")
            .header("kid", "k9")
            .create()
            .unwrap(),
        secret.into(),
        "HS256",
        "ok",
        &m,
    );
    push(
        "expired",
        expired,
        secret.into(),
        "HS256",
        "Signature has expired",
        &m,
    );
    push(
        "rs256",
        rs.create_access_token("alice").unwrap(),
        fixture("keys/rsa_public.pem"),
        "RS256",
        "ok",
        &rs,
    );
    push(
        "eddsa",
        ed.create_access_token("alice").unwrap(),
        fixture("keys/ed25519_public.pem"),
        "EdDSA",
        "ok",
        &ed,
    );
    push(
        "wrong_secret",
        m.create_access_token("alice").unwrap(),
        "some-other-secret-0123456789-abcdefghij".into(),
        "HS256",
        "Signature verification failed",
        &m,
    );

    let script = format!(
        "{}/tests/fixtures/verify_with_flask.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Array(items).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10, "{text}");
    for line in &lines {
        assert_eq!(line["match"], json!(true), "{line}");
    }
    assert!(out.status.success(), "{text}");
}
