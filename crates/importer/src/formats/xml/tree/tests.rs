//! The record tree's tests: children, attributes, keys, the arena's reuse, failures and
//! limits.

use super::*;

const UNBOUNDED: Limits = Limits {
    tree_bytes: usize::MAX,
    text_bytes: usize::MAX,
};

fn leaf(b: &mut Builder, name: &str, text: &str) {
    b.open(name);
    b.text(text);
    b.close();
}

#[test]
fn reads_children_attributes_and_keys_and_reuses_the_arena() {
    let mut b = Builder::default();
    for round in 0..3 {
        b.start("Residential", UNBOUNDED, &["agentid", "uniqueid"]);
        leaf(&mut b, "agentID", "AG");
        leaf(&mut b, "uniqueID", &format!(" U{round} "));
        b.open("objects");
        for id in ["a", "m"] {
            b.open("img");
            b.attribute("ID", id);
            b.attribute("url", &format!("https://x/{id}.jpg"));
            b.attribute("empty", " ");
            b.close();
        }
        b.close();
        b.open("price");
        b.text("1 & ");
        b.text(&format!("{round}"));
        b.open("currency");
        b.attribute("iso", "EUR");
        assert_eq!(b.key("uniqueid"), Some(format!("U{round}").as_str()));
        assert_eq!(b.key("agentid"), Some("AG"));
        let p = b.finish().unwrap();
        assert_eq!(p.name(), "residential");
        assert_eq!(p.value_of("uniqueid"), Some(format!("U{round}").as_str()));
        let images: Vec<_> = p.child("objects").unwrap().all("img").collect();
        assert_eq!(images[1].attr("id"), Some("m"));
        assert_eq!(images[0].attr("url"), Some("https://x/a.jpg"));
        assert_eq!(images[0].attr("empty"), None);
        assert_eq!(images[0].attr("modtime"), None);
        assert_eq!(
            images[0].attrs().collect::<Vec<_>>(),
            [("id", "a"), ("url", "https://x/a.jpg"), ("empty", "")]
        );
        assert_eq!(p.value_at("price"), Some(format!("1 & {round}").as_str()));
        assert_eq!(p.at("price/currency").unwrap().attr("iso"), Some("EUR"));
        assert_eq!(
            p.children().map(Node::name).collect::<Vec<_>>(),
            ["agentid", "uniqueid", "objects", "price"]
        );
        assert_eq!(p.value(), None);
    }
    assert_eq!(b.slots.len(), 8, "one slot per element, reused");
}

#[test]
fn a_failed_record_keeps_its_path_and_keys_only() {
    let mut b = Builder::default();
    b.start("property", UNBOUNDED, &["id"]);
    leaf(&mut b, "ref", "R");
    b.open("desc");
    b.open("en");
    b.fail("too long".into());
    b.fail("second reason".into());
    assert!(b.failed());
    assert_eq!(b.path(), "desc/en");
    b.open("b");
    b.text("ignored");
    assert_eq!(
        b.path(),
        "desc/en",
        "nothing opened after a failure is kept"
    );
    assert!(!b.close());
    assert!(!b.close());
    assert!(!b.close());
    assert_eq!(b.path(), "property");
    leaf(&mut b, "id", " X1 ");
    assert_eq!(b.key("id"), Some("X1"), "a key is read after a failure too");
    assert!(b.close(), "the root closes");
    assert_eq!(b.finish().unwrap_err(), "too long");

    b.start("property", UNBOUNDED, &["id"]);
    leaf(&mut b, "id", "X2");
    leaf(&mut b, "id", "X3");
    assert_eq!(b.key("id"), Some("X2"), "the first key counts");
    let p = b.finish().unwrap();
    assert_eq!(p.children().count(), 2);
    assert_eq!(p.value_of("id"), Some("X2"));
}

#[test]
fn a_key_is_not_kept_when_the_record_fails_inside_it() {
    let mut b = Builder::default();
    b.start("listing", UNBOUNDED, &["uniqueid"]);
    b.open("uniqueID");
    b.text("AB");
    b.fail("&bogus; is not a known entity".into());
    b.text("CD");
    b.close();
    assert_eq!(b.key("uniqueid"), None, "not ABCD");
    assert!(b.finish().is_err());
}

#[test]
fn a_key_only_counts_its_own_text_and_a_long_one_is_dropped() {
    let mut b = Builder::default();
    b.start("listing", UNBOUNDED, &["uniqueid"]);
    b.open("uniqueID");
    b.text("A");
    leaf(&mut b, "b", "inner");
    b.text("B");
    b.close();
    assert_eq!(b.key("uniqueid"), Some("AB"));
    b.start("listing", UNBOUNDED, &["uniqueid"]);
    leaf(&mut b, "uniqueID", &"x".repeat(MAX_KEY_BYTES + 1));
    assert_eq!(b.key("uniqueid"), None);
    assert_eq!(b.key("other"), None);
}

#[test]
fn limits_fail_the_record_with_what_was_over() {
    let mut b = Builder::default();
    let text = Limits {
        tree_bytes: usize::MAX,
        text_bytes: 10,
    };
    b.start("i", text, &[]);
    b.open("a");
    b.text(&"x".repeat(11));
    assert!(b.failed());
    b.close();
    assert_eq!(b.finish().unwrap_err(), "a: a text longer than 10 bytes");
    b.start("i", text, &[]);
    leaf(&mut b, "a", "short");
    assert_eq!(b.finish().unwrap().value_at("a"), Some("short"));

    let tree = Limits {
        tree_bytes: 1 << 10,
        text_bytes: usize::MAX,
    };
    b.start("i", tree, &[]);
    for _ in 0..3 {
        leaf(&mut b, "a", &"x".repeat(200));
    }
    assert!(!b.failed());
    leaf(&mut b, "a", &"x".repeat(200));
    assert_eq!(b.finish().unwrap_err(), "larger than 1 KiB");
}
