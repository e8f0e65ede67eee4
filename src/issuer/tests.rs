//! The issuer key cache against a fake issuer on loopback.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde_json::json;

use super::keys::{IssuerKeys, KeyError};
use super::{HttpClient, Issuer};
use crate::error::ConfigError;
use crate::jwk::Lookup;
use crate::keys::crypto_provider;

#[path = "../../tests/common/fake_issuer.rs"]
mod fake_issuer;

use fake_issuer::keys::{jwk, sign};
use fake_issuer::{FakeIssuer, Mode};

const LONG: Duration = Duration::from_secs(3600);

fn build(issuer: Issuer) -> Result<Arc<IssuerKeys>, ConfigError> {
    IssuerKeys::new(issuer, crypto_provider().unwrap())
}

/// An issuer on the fake, with a long refresh interval (only the first fetch happens in
/// the background) and the given cooldown.
fn on(fake: &FakeIssuer, cooldown: Duration) -> Arc<IssuerKeys> {
    build(
        Issuer::discover(fake.issuer())
            .audience(["api"])
            .unknown_kid_cooldown(cooldown)
            .refresh_interval(LONG, LONG, LONG)
            .timeout(Duration::from_millis(1500))
            .http_client(HttpClient::https().unwrap()),
    )
    .unwrap()
}

async fn lookup(keys: &Arc<IssuerKeys>, kid: &str, alg: Algorithm) -> Result<(), KeyError> {
    keys.table_for(Some(kid), alg).await.map(|_| ())
}

/// The key found for `kid` verifies a token the fixture key `name` signed.
async fn verifies(keys: &Arc<IssuerKeys>, name: &str, kid: &str, alg: Algorithm) -> bool {
    let token = sign(name, alg, Some(kid), &json!({"sub": "x"}));
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig).unwrap();
    let table = keys.table_for(Some(kid), alg).await.unwrap();
    let Lookup::Found(key) = table.lookup(Some(kid), alg) else {
        panic!("no key")
    };
    key.verify(crypto_provider().unwrap(), alg, input.as_bytes(), &sig)
}

#[tokio::test]
async fn discovery_then_the_key_set() {
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![
        jwk("rsa", "r1", None),
        jwk("ec256", "e1", None),
        jwk("ec384", "e2", Some("ES384")),
        jwk("ed25519", "o1", None),
    ]);
    let keys = on(&fake, Duration::from_secs(10));
    assert!(verifies(&keys, "rsa", "r1", Algorithm::RS256).await);
    assert!(verifies(&keys, "ec256", "e1", Algorithm::ES256).await);
    assert!(verifies(&keys, "ec384", "e2", Algorithm::ES384).await);
    assert!(verifies(&keys, "ed25519", "o1", Algorithm::EdDSA).await);
    // Another key's signature under a known kid fails.
    let forged = sign(
        "attacker_rsa",
        Algorithm::RS256,
        Some("r1"),
        &json!({"sub": "x"}),
    );
    let (input, sig) = forged.rsplit_once('.').unwrap();
    let sig =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig).unwrap();
    let table = keys.table();
    let Lookup::Found(key) = table.lookup(Some("r1"), Algorithm::RS256) else {
        panic!()
    };
    assert!(!key.verify(
        crypto_provider().unwrap(),
        Algorithm::RS256,
        input.as_bytes(),
        &sig
    ));
    // The key pinned to RS256 is not used for PS256 or ES256.
    assert_eq!(
        lookup(&keys, "r1", Algorithm::PS256).await,
        Err(KeyError::WrongAlgorithm)
    );
    assert_eq!(fake.discovery_fetches(), 1);
    assert_eq!(fake.jwks_fetches(), 1);
}

#[tokio::test]
async fn the_discovery_issuer_must_match_exactly() {
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "r1", None)]);
    // The document names the issuer with a trailing slash; the configured one has none.
    fake.set_discovery_issuer(&format!("{}/", fake.issuer()));
    let keys = on(&fake, Duration::ZERO);
    assert_eq!(
        lookup(&keys, "r1", Algorithm::RS256).await,
        Err(KeyError::Unavailable)
    );
    assert_eq!(fake.jwks_fetches(), 0, "the key set is never fetched");

    // A document sending us to a plain-http remote host is refused too.
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "r1", None)]);
    fake.set_jwks_uri("http://keys.example.com/jwks.json");
    let keys = on(&fake, Duration::ZERO);
    assert_eq!(
        lookup(&keys, "r1", Algorithm::RS256).await,
        Err(KeyError::Unavailable)
    );

    // An Auth0-shaped issuer (trailing slash) that matches.
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "r1", None)]);
    fake.set_issuer(&format!("http://{}/", fake.addr));
    let keys = on(&fake, Duration::ZERO);
    assert_eq!(lookup(&keys, "r1", Algorithm::RS256).await, Ok(()));
}

#[tokio::test]
async fn a_new_kid_is_answered_after_the_refetch_it_triggers() {
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    let keys = on(&fake, Duration::from_millis(300));
    assert_eq!(lookup(&keys, "k1", Algorithm::RS256).await, Ok(()));
    fake.wait_for_jwks_fetches(1).await;
    tokio::time::sleep(Duration::from_millis(350)).await;
    // Rotation: the issuer now signs with k2 (and still publishes k1).
    fake.set_keys(vec![
        jwk("rsa", "k1", None),
        jwk("attacker_rsa", "k2", None),
    ]);
    let before = fake.jwks_fetches();
    // The first request bearing k2 is answered with k2, after the fetch it triggers.
    assert!(verifies(&keys, "attacker_rsa", "k2", Algorithm::RS256).await);
    assert_eq!(fake.jwks_fetches(), before + 1);
    // The retired key is still served, so still accepted; once gone, it is gone after the
    // next refresh.
    assert_eq!(lookup(&keys, "k1", Algorithm::RS256).await, Ok(()));
}

#[tokio::test]
async fn a_kid_flood_is_not_a_fetch_flood() {
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    let keys = on(&fake, Duration::from_secs(10));
    assert_eq!(lookup(&keys, "k1", Algorithm::RS256).await, Ok(()));
    let before = fake.jwks_fetches();
    let mut tasks = Vec::new();
    for i in 0..300 {
        let keys = keys.clone();
        tasks.push(tokio::spawn(async move {
            lookup(&keys, &format!("random-{i}"), Algorithm::RS256).await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), Err(KeyError::UnknownKid));
    }
    assert!(
        fake.jwks_fetches() <= before + 1,
        "{} fetches for 300 unknown kids",
        fake.jwks_fetches() - before
    );
}

#[tokio::test]
async fn single_flight_and_known_keys_never_wait() {
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    let keys = on(&fake, Duration::ZERO);
    assert_eq!(lookup(&keys, "k1", Algorithm::RS256).await, Ok(()));
    fake.wait_for_jwks_fetches(1).await;
    let before = fake.jwks_fetches();

    // The next fetch takes 800 ms and brings k2.
    fake.set_keys(vec![jwk("rsa", "k1", None), jwk("ec256", "k2", None)]);
    fake.set_mode(Mode::Slow(Duration::from_millis(800)));
    let waiting: Vec<_> = (0..20)
        .map(|_| {
            let keys = keys.clone();
            tokio::spawn(async move { lookup(&keys, "k2", Algorithm::ES256).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A known key answers while the fetch is in flight.
    let known = tokio::time::timeout(
        Duration::from_millis(300),
        lookup(&keys, "k1", Algorithm::RS256),
    )
    .await;
    assert_eq!(known.expect("a known key must not wait"), Ok(()));
    for w in waiting {
        assert_eq!(w.await.unwrap(), Ok(()), "every waiter gets the new key");
    }
    // With a zero cooldown, the waiters found the key after the first fetch: one fetch.
    assert_eq!(fake.jwks_fetches(), before + 1);
}

#[tokio::test]
async fn unknown_kid_in_the_cooldown_after_a_failure_is_503_after_a_success_422() {
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    let keys = on(&fake, Duration::from_secs(60));
    assert_eq!(lookup(&keys, "k1", Algorithm::RS256).await, Ok(()));
    fake.wait_for_jwks_fetches(1).await;
    // The last fetch succeeded: an unknown kid is the token's problem.
    assert_eq!(
        lookup(&keys, "nope", Algorithm::RS256).await,
        Err(KeyError::UnknownKid)
    );
    assert_eq!(KeyError::UnknownKid.into_error().status().as_u16(), 422);

    // Now a fetch fails (cooldown 0 so that this lookup fetches), then the cooldown holds.
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    let keys = build(
        Issuer::with_jwks_url(fake.issuer(), fake.jwks_url())
            .audience(["api"])
            .unknown_kid_cooldown(Duration::from_millis(400))
            .refresh_interval(LONG, LONG, LONG)
            .http_client(HttpClient::https().unwrap()),
    )
    .unwrap();
    assert_eq!(lookup(&keys, "k1", Algorithm::RS256).await, Ok(()));
    fake.wait_for_jwks_fetches(1).await;
    tokio::time::sleep(Duration::from_millis(450)).await;
    fake.set_mode(Mode::Status(500));
    assert_eq!(
        lookup(&keys, "nope", Algorithm::RS256).await,
        Err(KeyError::Unavailable)
    );
    let fetches = fake.jwks_fetches();
    assert_eq!(
        lookup(&keys, "nope", Algorithm::RS256).await,
        Err(KeyError::Unavailable),
        "in the cooldown after a failed fetch"
    );
    assert_eq!(fake.jwks_fetches(), fetches, "no fetch in the cooldown");
    assert_eq!(KeyError::Unavailable.into_error().status().as_u16(), 503);
    // The cached key still works.
    assert_eq!(lookup(&keys, "k1", Algorithm::RS256).await, Ok(()));
}

#[tokio::test]
async fn cached_keys_survive_failed_garbage_and_oversized_answers() {
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    let keys = on(&fake, Duration::ZERO);
    assert_eq!(lookup(&keys, "k1", Algorithm::RS256).await, Ok(()));
    let big = 2 * super::MAX_RESPONSE_BYTES;
    for mode in [
        Mode::Status(500),
        Mode::Status(404),
        Mode::Body("not json".into()),
        Mode::Body(r#"{"keys":[]}"#.into()),
        Mode::Body(r#"{"keys":[{"kty":"oct","kid":"k1","k":"c2VjcmV0"}]}"#.into()),
        Mode::Body(r#"{"keys":{"kty":"RSA"}}"#.into()),
        Mode::Body(format!(
            "{{\"keys\":{}{}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        )),
        Mode::Oversized(big),
        Mode::OversizedChunked(big),
        Mode::Down,
    ] {
        fake.set_mode(mode.clone());
        let tried = || fake.connections() + fake.jwks_fetches();
        let before = tried();
        assert_eq!(
            lookup(&keys, "unknown", Algorithm::RS256).await,
            Err(KeyError::Unavailable),
            "{mode:?}"
        );
        assert!(tried() > before, "{mode:?}: a fetch was tried");
        assert_eq!(
            lookup(&keys, "k1", Algorithm::RS256).await,
            Ok(()),
            "{mode:?}"
        );
    }
    // The issuer is back: the next unknown kid fetches and finds nothing (422).
    fake.set_mode(Mode::Normal);
    assert_eq!(
        lookup(&keys, "unknown", Algorithm::RS256).await,
        Err(KeyError::UnknownKid)
    );
}

#[tokio::test]
async fn a_slow_issuer_is_a_503_within_the_timeout() {
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    fake.set_mode(Mode::Slow(Duration::from_secs(30)));
    let keys = build(
        Issuer::discover(fake.issuer())
            .audience(["api"])
            .unknown_kid_cooldown(Duration::ZERO)
            .timeout(Duration::from_millis(300))
            .http_client(HttpClient::https().unwrap()),
    )
    .unwrap();
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        lookup(&keys, "k1", Algorithm::RS256),
    )
    .await
    .expect("bounded by the issuer's timeout");
    assert_eq!(answer, Err(KeyError::Unavailable));
}

#[tokio::test]
async fn starts_while_the_issuer_is_down_and_recovers() {
    let addr = FakeIssuer::reserve_addr();
    let keys = build(
        Issuer::discover(format!("http://{addr}"))
            .audience(["api"])
            .unknown_kid_cooldown(Duration::from_millis(200))
            .refresh_interval(LONG, LONG, LONG)
            .http_client(HttpClient::https().unwrap()),
    )
    .unwrap();
    assert_eq!(
        lookup(&keys, "k1", Algorithm::RS256).await,
        Err(KeyError::Unavailable)
    );
    let fake = FakeIssuer::start_at(addr).await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    // Once the cooldown of the failed attempt has passed, the next request fetches.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(lookup(&keys, "k1", Algorithm::RS256).await, Ok(()));
}

#[tokio::test]
async fn the_background_refresh_recovers_without_requests() {
    let addr = FakeIssuer::reserve_addr();
    let keys = build(
        Issuer::discover(format!("http://{addr}"))
            .audience(["api"])
            .unknown_kid_cooldown(Duration::from_millis(100))
            .refresh_interval(
                Duration::from_millis(200),
                Duration::from_millis(200),
                Duration::from_millis(200),
            )
            .http_client(HttpClient::https().unwrap()),
    )
    .unwrap();
    let fake = FakeIssuer::start_at(addr).await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    fake.wait_for_jwks_fetches(1).await;
    assert!(matches!(
        keys.table().lookup(Some("k1"), Algorithm::RS256),
        Lookup::Found(_)
    ));
}

#[tokio::test]
async fn the_background_refresh_follows_max_age_within_bounds() {
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    fake.set_cache_control("public, max-age=0");
    let ms = Duration::from_millis;
    let keys = build(
        Issuer::with_jwks_url(fake.issuer(), fake.jwks_url())
            .audience(["api"])
            .refresh_interval(ms(150), ms(150), LONG)
            .http_client(HttpClient::https().unwrap()),
    )
    .unwrap();
    // max-age=0 is raised to the minimum (150 ms): several refreshes in a second.
    fake.wait_for_jwks_fetches(4).await;

    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    fake.set_cache_control("max-age=86400");
    let slow = build(
        Issuer::with_jwks_url(fake.issuer(), fake.jwks_url())
            .audience(["api"])
            .refresh_interval(ms(150), ms(100), ms(150))
            .http_client(HttpClient::https().unwrap()),
    )
    .unwrap();
    // A day is lowered to the maximum (150 ms).
    fake.wait_for_jwks_fetches(4).await;

    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    fake.set_cache_control("max-age=60");
    let honoured = build(
        Issuer::with_jwks_url(fake.issuer(), fake.jwks_url())
            .audience(["api"])
            .refresh_interval(ms(100), ms(100), LONG)
            .http_client(HttpClient::https().unwrap()),
    )
    .unwrap();
    fake.wait_for_jwks_fetches(1).await;
    tokio::time::sleep(ms(600)).await;
    assert_eq!(fake.jwks_fetches(), 1, "max-age=60 is honoured");
    drop((keys, slow, honoured));
}

#[tokio::test]
async fn the_background_refresh_ends_with_its_keys() {
    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "k1", None)]);
    let ms = Duration::from_millis;
    let keys = build(
        Issuer::with_jwks_url(fake.issuer(), fake.jwks_url())
            .audience(["api"])
            .refresh_interval(ms(50), ms(50), ms(50))
            .http_client(HttpClient::https().unwrap()),
    )
    .unwrap();
    fake.wait_for_jwks_fetches(2).await;
    drop(keys);
    // A refresh in flight when the keys went may still finish.
    tokio::time::sleep(ms(400)).await;
    let after = fake.jwks_fetches();
    tokio::time::sleep(ms(300)).await;
    assert_eq!(fake.jwks_fetches(), after);
}

#[tokio::test]
async fn static_sets_never_fetch() {
    let set = json!({"keys": [jwk("rsa", "k1", None)]}).to_string();
    let keys =
        build(Issuer::with_jwk_set("https://issuer.example", set).audience(["api"])).unwrap();
    assert_eq!(lookup(&keys, "k1", Algorithm::RS256).await, Ok(()));
    assert_eq!(
        lookup(&keys, "k2", Algorithm::RS256).await,
        Err(KeyError::UnknownKid)
    );
    assert_eq!(keys.fetches(), 0);
    assert_eq!(
        keys.table_for(None, Algorithm::RS256).await.map(|_| ()),
        Ok(()),
        "one key: a token without kid uses it"
    );
}

#[test]
fn configuration_is_checked() {
    let client = || HttpClient::https().unwrap();
    let ok = || {
        Issuer::discover("https://sso.example.com/realms/main")
            .audience(["api"])
            .http_client(client())
    };
    // Outside a runtime: built, not fetched.
    assert!(build(ok()).is_ok());
    for (issuer, why) in [
        (ok().audience(Vec::<String>::new()), "audience"),
        (ok().audience([""]), "empty audience"),
        (ok().algorithms([]), "no algorithm"),
        (
            ok().algorithms([Algorithm::RS256, Algorithm::HS256]),
            "hmac",
        ),
        (
            Issuer::discover("http://sso.example.com/realms/main").audience(["api"]),
            "plain http",
        ),
        (
            Issuer::with_jwks_url("https://a.example", "http://a.example/keys").audience(["api"]),
            "plain http key set",
        ),
        (Issuer::discover("").audience(["api"]), "empty issuer"),
        (Issuer::discover("not a url").audience(["api"]), "not a url"),
        (ok().timeout(Duration::ZERO), "zero timeout"),
        (
            ok().refresh_interval(Duration::from_secs(5), Duration::from_secs(10), LONG),
            "default below min",
        ),
        (
            ok().refresh_interval(Duration::ZERO, Duration::ZERO, LONG),
            "zero min",
        ),
        (
            Issuer::with_jwk_set("iss", r#"{"keys":[]}"#).audience(["api"]),
            "static set without keys",
        ),
        (
            Issuer::with_jwk_set(
                "iss",
                r#"{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}"#,
            )
            .audience(["api"]),
            "static oct key",
        ),
    ] {
        assert!(build(issuer).is_err(), "{why}");
    }
}
