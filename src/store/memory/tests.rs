//! Unit tests of the in-memory store.

use super::*;

const UUID: &str = "0b6f3e0c-5b1e-4c55-9d8a-2f9f4c1b7e21";

#[test]
fn key_is_24_bytes() {
    assert_eq!(std::mem::size_of::<Key>(), 24);
    assert_eq!(std::mem::size_of::<(Key, u64)>(), 32);
}

#[test]
fn uuid_ids_are_compact() {
    for prefix in ["", "j", "jti", "family"] {
        let id = format!("{prefix}:{UUID}");
        match Key::new(&id) {
            Key::Uuid {
                prefix_len,
                prefix: p,
                uuid,
            } => {
                assert_eq!(&p[..usize::from(prefix_len)], prefix.as_bytes());
                assert_eq!(uuid::Uuid::from_bytes(uuid).hyphenated().to_string(), UUID);
            }
            Key::Other(_) => panic!("{id} should be compact"),
        }
    }
}

#[test]
fn other_ids_are_verbatim() {
    let upper = format!("jti:{}", UUID.to_uppercase());
    let long_prefix = format!("toolong:{UUID}");
    let no_colon = format!("jti-{UUID}");
    let braces = format!("jti:{{{}}}", &UUID[..34]);
    let bad_hyphen = format!("jti:{}x{}", &UUID[..8], &UUID[9..]);
    let bad_digit = format!("jti:{}g", &UUID[..35]);
    for id in [
        UUID,
        "jti:",
        "",
        upper.as_str(),
        long_prefix.as_str(),
        no_colon.as_str(),
        braces.as_str(),
        bad_hyphen.as_str(),
        bad_digit.as_str(),
    ] {
        assert_eq!(Key::new(id), Key::Other(id.into()), "{id:?}");
    }
}

#[test]
fn distinct_ids_give_distinct_keys() {
    let ids = [
        format!("jti:{UUID}"),
        format!("jtj:{UUID}"),
        format!("jti:{}", UUID.replace('0', "1")),
        format!("ti:{UUID}"),
        format!(":{UUID}"),
        format!("jti\0:{UUID}"),
        format!("jti:{}", UUID.to_uppercase()),
        format!("jti:{UUID} "),
        UUID.to_string(),
    ];
    let keys: Vec<Key> = ids.iter().map(|id| Key::new(id)).collect();
    for (i, a) in keys.iter().enumerate() {
        for (j, b) in keys.iter().enumerate() {
            assert_eq!(a == b, i == j, "{:?} vs {:?}", ids[i], ids[j]);
        }
    }
}

#[test]
fn identity_entries_are_counted_for_the_check() {
    let clock = crate::clock::MockClock::at_unix(1_000);
    let store = MemoryStore::new().with_clock(clock.clone());
    let block_on = |f| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    };
    let uuid = canonical_uuid(UUID.as_bytes());
    let check = |who| store.check_joined(&[("jti:", UUID, uuid)], Some(who));
    assert_eq!(check("alice").user_not_before, None);
    block_on(store.revoke_user_before("alice", 1_001, 1_100)).unwrap();
    block_on(store.revoke_user_before("alice", 1_002, 1_200)).unwrap();
    assert_eq!(store.users.load(Ordering::SeqCst), 1);
    assert_eq!(check("alice").user_not_before, Some(1_002));
    assert_eq!(check("bob").user_not_before, None);
    // Expired: dropped by the sweep, and counted out.
    clock.advance(Duration::from_secs(201));
    assert_eq!(store.sweep(), 1);
    assert_eq!(store.users.load(Ordering::SeqCst), 0);
    assert_eq!(check("alice").user_not_before, None);
    // Expired and found by a check: dropped and counted out too.
    block_on(store.revoke_user_before("bob", 1_300, 1_300)).unwrap();
    assert_eq!(check("bob").user_not_before, Some(1_300));
    clock.advance(Duration::from_secs(100));
    assert_eq!(check("bob").user_not_before, None);
    assert_eq!(store.users.load(Ordering::SeqCst), 0);
    assert!(store.is_empty());
}

#[test]
fn joined_ids_give_the_keys_of_their_text() {
    let upper = UUID.to_uppercase();
    let cases = [
        ("jti:", UUID),
        ("pair:", UUID),
        ("fam:", UUID),
        ("jti:", "x"),
        ("jti:", ""),
        ("", ""),
        ("jti:", upper.as_str()),
        ("jti", UUID),
        ("toolong:", UUID),
        ("j", &UUID[..2]),
    ];
    for (prefix, id) in cases {
        let text = format!("{prefix}{id}");
        assert_eq!(Key::joined(prefix, id), Key::new(&text), "{text:?}");
        let uuid = canonical_uuid(id.as_bytes());
        assert_eq!(
            Key::joined_parsed(prefix, id, uuid),
            Key::new(&text),
            "{text:?}"
        );
    }
    let split = format!("jti:{UUID}");
    for at in 0..=split.len() {
        assert_eq!(Key::joined(&split[..at], &split[at..]), Key::new(&split));
    }
}

#[test]
fn canonical_uuid_round_trips() {
    for _ in 0..100 {
        let u = uuid::Uuid::new_v4();
        let text = u.hyphenated().to_string();
        assert_eq!(canonical_uuid(text.as_bytes()), Some(*u.as_bytes()));
    }
    assert_eq!(canonical_uuid(b"00000000-0000-0000-0000-00000000000"), None);
}

#[test]
fn revision_moves_with_every_write_that_can_revoke_and_only_then() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = MemoryStore::new();
    let other = MemoryStore::new();
    let until = 4_102_444_800;
    let mut seen = vec![store.revision(), other.revision()];
    assert_ne!(seen[0], seen[1], "two stores never share a revision");
    let unchanged = |store: &MemoryStore, before: u64| assert_eq!(store.revision(), before);

    let r = store.revision();
    rt.block_on(store.check(&["jti:a"], Some("alice"))).unwrap();
    rt.block_on(store.consume("fam:f", "jti:r", 1, until))
        .unwrap();
    store.sweep();
    unchanged(&store, r);

    rt.block_on(store.revoke("jti:a", until)).unwrap();
    seen.push(store.revision());
    rt.block_on(store.revoke_user_before("alice", 10, until))
        .unwrap();
    seen.push(store.revision());
    // A write that changes nothing still counts: it may race with a check.
    rt.block_on(store.revoke("jti:a", until)).unwrap();
    seen.push(store.revision());
    // A full store refuses the write, and counts it as well.
    let full = MemoryStore::new().with_capacity(0);
    let before = full.revision();
    assert!(rt.block_on(full.revoke("jti:b", until)).is_err());
    assert_ne!(full.revision(), before);

    for (i, r) in seen.iter().enumerate() {
        assert_ne!(*r, 0);
        assert!(!seen[..i].contains(r), "revision {r} seen twice");
    }
}
