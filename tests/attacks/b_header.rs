//! B. Header parameters (cases 11–16), with jwt_tool's `-X i` (inline JWK), `-X s` (jku
//! spoof) and the playbook's `kid` injections.

use std::io::ErrorKind as IoErrorKind;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use base64::Engine as _;
use jwt_extended::{Algorithm, JwtManager, Key};
use serde_json::{Value, json};

use crate::support::*;

/// The attacker's RSA public key as a JWK.
fn attacker_jwk() -> Value {
    serde_json::to_value(
        jsonwebtoken::jwk::Jwk::from_encoding_key(
            &jsonwebtoken::EncodingKey::from_rsa_pem(pem("attacker_rsa_private").as_bytes())
                .unwrap(),
            Algorithm::RS256,
        )
        .unwrap(),
    )
    .unwrap()
}

fn attacker_der_b64() -> String {
    let public = pem("attacker_rsa_public");
    let body: String = public.lines().filter(|l| !l.starts_with("-----")).collect();
    // Already standard base64: the form `x5c` uses.
    base64::engine::general_purpose::STANDARD
        .decode(&body)
        .unwrap();
    body
}

const ATTACKER_SECRET: &str = "attacker-secret-attacker-secret-attacker!";

/// Case 11 (CVE-2018-0114 class, jwt_tool `-X i`): the attacker's key embedded in the
/// header (`jwk`, `x5c`), the token signed with it. The embedded key is never read.
#[tokio::test]
async fn case_11_embedded_jwk_and_x5c() {
    let clock = clock();
    let hs = app(&builder(&clock).build().unwrap());
    let rs = app(&rs256_manager(&clock).build().unwrap());
    let payload = claims().to_string();
    let attacker = pem("attacker_rsa_private");
    for header in [
        json!({"alg": "RS256", "typ": "JWT", "jwk": attacker_jwk()}),
        json!({"alg": "RS256", "typ": "JWT", "x5c": [attacker_der_b64()]}),
    ] {
        let t = sign_pem(&header.to_string(), &payload, &attacker, Algorithm::RS256);
        rejects(&hs, &t, 422, ALG_NOT_ALLOWED).await;
        rejects(&rs, &t, 422, SIG_FAILED).await;
    }
    let oct =
        json!({"alg": "HS256", "typ": "JWT", "jwk": {"kty": "oct", "k": b64(ATTACKER_SECRET)}});
    let t = sign_raw(&oct.to_string(), &payload, ATTACKER_SECRET);
    rejects(&hs, &t, 422, SIG_FAILED).await;
}

/// Case 12 (jwt_tool `-X s`): `jku` and `x5u` pointing at a listener on loopback. The
/// token is refused and the listener never sees a connection.
#[tokio::test]
async fn case_12_jku_x5u_never_fetched() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let clock = clock();
    let hs = app(&builder(&clock).build().unwrap());
    let rs = app(&rs256_manager(&clock).build().unwrap());
    let payload = claims().to_string();
    let attacker = pem("attacker_rsa_private");
    for param in ["jku", "x5u"] {
        let url = format!("http://{addr}/jwks.json");
        let header = json!({"alg": "RS256", "typ": "JWT", param: url, "kid": "attacker"});
        let t = sign_pem(&header.to_string(), &payload, &attacker, Algorithm::RS256);
        rejects(&rs, &t, 422, SIG_FAILED).await;
        rejects(&hs, &t, 422, ALG_NOT_ALLOWED).await;
        let header = json!({"alg": "HS256", "typ": "JWT", param: url});
        let t = sign_raw(&header.to_string(), &payload, ATTACKER_SECRET);
        rejects(&hs, &t, 422, SIG_FAILED).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    match listener.accept() {
        Err(e) if e.kind() == IoErrorKind::WouldBlock => {}
        other => panic!("the listener saw a connection: {other:?}"),
    }
}

/// Case 13 (jwt_tool playbook): `kid` injections. A `kid` is an opaque key into an
/// in-memory table: an unknown one falls back to the current key, whose signature check
/// fails; it is never a path, a query or a command.
#[tokio::test]
async fn case_13_kid_injection() {
    let clock = clock();
    let m = JwtManager::builder()
        .key(Key::hmac(Algorithm::HS256, SECRET).unwrap().with_kid("k1"))
        .verification_key(
            Key::hmac(Algorithm::HS256, "an-older-secret-an-older-secret-older")
                .unwrap()
                .with_kid("k0"),
        )
        .clock(clock)
        .build()
        .unwrap();
    let app = app(&m);
    let payload = claims().to_string();
    for (kid, key) in [
        ("../../../../../../dev/null", &b""[..]),
        ("/dev/null", b""),
        ("/proc/self/environ", b""),
        ("", b""),
        ("", b"\0"),
        ("x' UNION SELECT '1';--", b"1"),
        ("|sleep 10", b""),
        ("`sleep 10`", b""),
        ("$(sleep 10)", b""),
        ("k1\r\nX-Injected: 1", b""),
        ("k0\u{0}", b"an-older-secret-an-older-secret-older"),
        ("K0", b"an-older-secret-an-older-secret-older"),
    ] {
        let header = json!({"alg": "HS256", "typ": "JWT", "kid": kid}).to_string();
        let t = sign_bytes(header.as_bytes(), payload.as_bytes(), key, Algorithm::HS256);
        let started = Instant::now();
        let answer = send_checked(&app, bearer_get("/protected", &t), &[&t, kid], false).await;
        assert!(started.elapsed() < Duration::from_secs(2), "{kid:?}");
        assert_eq!(answer.msg(), (422, SIG_FAILED), "{kid:?}");
    }
    // A huge kid is refused by the header cap, before any parsing.
    let header = json!({"alg": "HS256", "kid": "k".repeat(10 * 1024)}).to_string();
    let t = sign_raw(&header, &payload, SECRET);
    rejects(&app, &t, 422, "Token is too large").await;
    let header = json!({"alg": "HS256", "kid": "k".repeat(1024)}).to_string();
    let t = sign_raw(&header, &payload, SECRET);
    rejects(&app, &t, 422, "Token header is too large").await;
    // A non-string kid.
    let t = sign_raw(r#"{"alg":"HS256","kid":5}"#, &payload, SECRET);
    rejects(
        &app,
        &t,
        422,
        "Invalid header string: kid, typ and cty must be strings",
    )
    .await;
    // Our own key through its kid, and the older key through its own, still work.
    let t = sign_raw(r#"{"alg":"HS256","kid":"k1"}"#, &payload, SECRET);
    accepts(&app, &t, "alice").await;
    let t = sign_raw(
        r#"{"alg":"HS256","kid":"k0"}"#,
        &payload,
        "an-older-secret-an-older-secret-older",
    );
    accepts(&app, &t, "alice").await;
    // An unknown kid is answered by the current key alone (never "try every key"): a
    // token that our current key signed passes whatever its kid says.
    let t = sign_raw(r#"{"alg":"HS256","kid":"K1"}"#, &payload, SECRET);
    accepts(&app, &t, "alice").await;
    // The older key is not tried for a token that names the current one.
    let t = sign_raw(
        r#"{"alg":"HS256","kid":"k1"}"#,
        &payload,
        "an-older-secret-an-older-secret-older",
    );
    rejects(&app, &t, 422, SIG_FAILED).await;
}

/// Case 14 (RFC 7515 §4.1.11): any `crit` is refused; jsonwebtoken alone accepts all three.
/// Decode level: `tokens::crit_is_refused`.
#[tokio::test]
async fn case_14_crit_refused() {
    let (m, _) = manager();
    let app = app(&m);
    let payload = claims().to_string();
    for h in [
        r#"{"alg":"HS256","crit":["exp"]}"#,
        r#"{"alg":"HS256","crit":["b64"],"b64":false}"#,
        r#"{"alg":"HS256","crit":[]}"#,
        r#"{"alg":"HS256","crit":null}"#,
    ] {
        let t = sign_raw(h, &payload, SECRET);
        rejects(
            &app,
            &t,
            422,
            "Unsupported critical header parameter (crit)",
        )
        .await;
    }
}

/// Case 15: duplicate header members are refused, known or custom (stricter than the
/// "last one wins" RFC 7519 allows, so our `kid` and jsonwebtoken's can never disagree).
#[tokio::test]
async fn case_15_duplicate_header_members() {
    let (m, _) = manager();
    let app = app(&m);
    let payload = claims().to_string();
    for h in [
        r#"{"alg":"HS256","alg":"HS256"}"#,
        r#"{"alg":"none","alg":"HS256"}"#,
        r#"{"alg":"HS256","kid":"a","kid":"b"}"#,
        r#"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#,
        r#"{"alg":"HS256","x":1,"x":2}"#,
    ] {
        let t = sign_raw(h, &payload, SECRET);
        rejects(
            &app,
            &t,
            422,
            "Invalid header string: duplicate header parameter",
        )
        .await;
    }
}

/// Case 16: `typ`, `cty` and `kid` must be strings; `typ: "at+jwt"`, `zip` and `enc` are
/// accepted and ignored (the payload is never inflated or decrypted).
#[tokio::test]
async fn case_16_typ_zip_enc() {
    let (m, _) = manager();
    let app = app(&m);
    let payload = claims().to_string();
    for h in [r#"{"alg":"HS256","typ":5}"#, r#"{"alg":"HS256","cty":{}}"#] {
        let t = sign_raw(h, &payload, SECRET);
        rejects(
            &app,
            &t,
            422,
            "Invalid header string: kid, typ and cty must be strings",
        )
        .await;
    }
    for h in [
        r#"{"alg":"HS256","typ":"at+jwt"}"#,
        r#"{"alg":"HS256","typ":"JWT","zip":"DEF"}"#,
        r#"{"alg":"HS256","typ":"JWT","enc":"A128GCM"}"#,
        r#"{"alg":"HS256"}"#,
    ] {
        let t = sign_raw(h, &payload, SECRET);
        accepts(&app, &t, "alice").await;
    }
}
