//! One listing element as a small tree with its attributes, built from XML events, so its
//! children can be read in any order. Only one listing is held at a time, and at most
//! [`MAX_RECORD_BYTES`](crate::formats::MAX_RECORD_BYTES) of it; once a listing fails (too
//! large, a text too long, an undefined entity) nothing more of it is kept but the depth of
//! its elements and its `agentID` and `uniqueID`, when already read.
//!
//! The tree lives in an arena of slots that the next listing reuses: a slot's strings are
//! cleared, not dropped, so a feed of similar listings reads without allocating for its
//! structure. What the arena keeps between listings is bounded ([`MAX_KEPT_SLOTS`] slots,
//! strings of at most [`MAX_KEPT_CAPACITY`] bytes each).

use crate::formats::MAX_RECORD_BYTES;

/// What a node costs besides its name, attributes and text, for the size limit.
const NODE_OVERHEAD: usize = 64;
/// Slots kept for the next listing; more are freed.
const MAX_KEPT_SLOTS: usize = 512;
/// The largest string capacity a kept slot keeps; a larger string is freed.
const MAX_KEPT_CAPACITY: usize = 16 * 1024;
/// No slot: the end of a list of children.
const NONE: u32 = u32::MAX;
/// Separates attribute names and values in a slot (XML text cannot hold it).
const SEP: char = '\0';

/// An element's storage: lower-case local name, attributes (`name\0value\0`, names lower
/// case), text (all text and CDATA directly inside it, references resolved) and links to its
/// children in document order.
#[derive(Debug, Default)]
struct Slot {
    name: String,
    attributes: String,
    text: String,
    first_child: u32,
    last_child: u32,
    next_sibling: u32,
}

impl Slot {
    /// Empties the slot for a new element, keeping the capacity of small strings.
    fn reset(&mut self) {
        for s in [&mut self.name, &mut self.attributes, &mut self.text] {
            if s.capacity() > MAX_KEPT_CAPACITY {
                *s = String::new();
            } else {
                s.clear();
            }
        }
        self.first_child = NONE;
        self.last_child = NONE;
        self.next_sibling = NONE;
    }
}

/// An element of a finished listing, as the mapping reads it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Node<'a> {
    slots: &'a [Slot],
    slot: &'a Slot,
}

impl<'a> Node<'a> {
    fn at(slots: &'a [Slot], index: u32) -> Option<Self> {
        let slot = slots.get(usize::try_from(index).ok()?)?;
        Some(Self { slots, slot })
    }

    /// The element's lower-case local name.
    pub fn name(self) -> &'a str {
        &self.slot.name
    }

    /// The attribute `name` (lower case), trimmed, when present and not empty.
    pub fn attr(self, name: &str) -> Option<&'a str> {
        let mut parts = self.slot.attributes.split(SEP);
        while let (Some(key), Some(value)) = (parts.next(), parts.next()) {
            if key == name {
                return Some(value.trim()).filter(|v| !v.is_empty());
            }
        }
        None
    }

    /// The child elements, in document order.
    pub fn children(self) -> impl Iterator<Item = Node<'a>> {
        let slots = self.slots;
        std::iter::successors(Self::at(slots, self.slot.first_child), move |n| {
            Self::at(slots, n.slot.next_sibling)
        })
    }

    /// The first child named `name` (lower case).
    pub fn child(self, name: &str) -> Option<Node<'a>> {
        self.children().find(|c| c.name() == name)
    }

    /// The children named `name` (lower case), in document order.
    pub fn all(self, name: &'a str) -> impl Iterator<Item = Node<'a>> {
        self.children().filter(move |c| c.name() == name)
    }

    /// The text of this node, trimmed, or `None` when empty.
    pub fn value(self) -> Option<&'a str> {
        Some(self.slot.text.trim()).filter(|t| !t.is_empty())
    }

    /// The text of this node as written (untrimmed), for descriptions.
    pub fn raw_text(self) -> &'a str {
        &self.slot.text
    }

    /// The trimmed, non-empty text of the first child named `name`.
    pub fn value_of(self, name: &str) -> Option<&'a str> {
        self.child(name).and_then(Node::value)
    }
}

/// Builds the tree of one listing from its events; [`Builder::start`] begins the next one in
/// the same arena.
#[derive(Debug, Default)]
pub(super) struct Builder {
    /// The arena; `slots[..used]` belong to the listing being read, `slots[0]` is it.
    slots: Vec<Slot>,
    used: usize,
    /// The open elements: the listing first, the innermost last.
    stack: Vec<u32>,
    /// Elements opened (and not yet closed) after the listing failed, which are not kept.
    skipped: usize,
    size: usize,
    /// Why the listing fails, once it does.
    failure: Option<String>,
    /// The listing's `uniqueID`, kept as soon as it is read (even when the rest fails).
    unique_id: Option<String>,
    /// The listing's `agentID`, likewise.
    agent_id: Option<String>,
}

impl Builder {
    /// Starts a listing element named `name`, forgetting the previous one.
    pub fn start(&mut self, name: &str) {
        self.slots.truncate(MAX_KEPT_SLOTS);
        self.used = 0;
        self.stack.clear();
        self.skipped = 0;
        self.size = 0;
        self.failure = None;
        self.unique_id = None;
        self.agent_id = None;
        let listing = self.push(name);
        self.stack.push(listing);
    }

    /// An element opens inside the listing (the listing's own tag when it is the first).
    pub fn open(&mut self, name: &str) {
        if self.failure.is_some() || !self.grow(name.len() + NODE_OVERHEAD) {
            self.skipped += 1;
            return;
        }
        let index = self.push(name);
        self.stack.push(index);
    }

    /// An attribute of the element just opened (its name lower-cased).
    pub fn attribute(&mut self, name: &str, value: &str) {
        if self.skipped > 0 || !self.grow(name.len() + value.len() + 2) {
            return;
        }
        let Some(&index) = self.stack.last() else {
            return;
        };
        if let Some(slot) = self.slot_mut(index) {
            let start = slot.attributes.len();
            slot.attributes.push_str(name);
            slot.attributes[start..].make_ascii_lowercase();
            slot.attributes.push(SEP);
            slot.attributes
                .extend(value.chars().map(|c| if c == SEP { ' ' } else { c }));
            slot.attributes.push(SEP);
        }
    }

    /// Text, CDATA or a resolved reference inside the innermost open element.
    pub fn text(&mut self, text: &str) {
        if self.skipped > 0 || !self.grow(text.len()) {
            return;
        }
        if let Some(&index) = self.stack.last()
            && let Some(slot) = self.slot_mut(index)
        {
            slot.text.push_str(text);
        }
    }

    /// The innermost element inside the listing closes.
    pub fn close(&mut self) {
        if self.skipped > 0 {
            self.skipped -= 1;
            return;
        }
        if self.stack.len() < 2 {
            return;
        }
        let Some(index) = self.stack.pop() else {
            return;
        };
        let Some(&parent) = self.stack.last() else {
            return;
        };
        if self.stack.len() == 1 && self.failure.is_none() {
            let node = self.node(index);
            let value = || node.and_then(Node::value).map(str::to_owned);
            match node.map(Node::name) {
                Some("uniqueid") if self.unique_id.is_none() => self.unique_id = value(),
                Some("agentid") if self.agent_id.is_none() => self.agent_id = value(),
                _ => {}
            }
        }
        let last = self.slot_mut(parent).map_or(NONE, |p| p.last_child);
        match self.slot_mut(last) {
            Some(previous) => previous.next_sibling = index,
            None => {
                if let Some(p) = self.slot_mut(parent) {
                    p.first_child = index;
                }
            }
        }
        if let Some(p) = self.slot_mut(parent) {
            p.last_child = index;
        }
    }

    /// The open elements inside the listing, as `features/bedrooms` (the listing's name at
    /// its top level).
    pub fn path(&self) -> String {
        let names: Vec<&str> = self.stack[1..]
            .iter()
            .filter_map(|&i| self.node(i).map(Node::name))
            .collect();
        if names.is_empty() {
            self.node(0).map_or("listing", Node::name).to_owned()
        } else {
            names.join("/")
        }
    }

    /// The listing fails for `reason` (the first reason is kept).
    pub fn fail(&mut self, reason: String) {
        if self.failure.is_none() {
            self.failure = Some(reason);
        }
    }

    /// The listing's id as far as it was read: `agentID:uniqueID`, or `uniqueID` alone.
    pub fn external_id(&self) -> Option<String> {
        let unique = self.unique_id.as_deref()?;
        Some(match &self.agent_id {
            Some(agent) => format!("{agent}:{unique}"),
            None => unique.to_owned(),
        })
    }

    /// Closes what is still open and gives the finished listing, or why it failed.
    pub fn finish(&mut self) -> Result<Node<'_>, String> {
        if let Some(reason) = self.failure.take() {
            return Err(reason);
        }
        self.skipped = 0;
        while self.stack.len() > 1 {
            self.close();
        }
        self.node(0).ok_or_else(|| "no listing".to_owned())
    }

    fn node(&self, index: u32) -> Option<Node<'_>> {
        Node::at(&self.slots[..self.used], index)
    }

    fn slot_mut(&mut self, index: u32) -> Option<&mut Slot> {
        self.slots[..self.used].get_mut(usize::try_from(index).ok()?)
    }

    /// Takes the next free slot for an element named `name` (lower-cased).
    fn push(&mut self, name: &str) -> u32 {
        if self.used == self.slots.len() {
            self.slots.push(Slot::default());
        }
        let slot = &mut self.slots[self.used];
        slot.reset();
        slot.name.push_str(name);
        slot.name.make_ascii_lowercase();
        self.used += 1;
        u32::try_from(self.used - 1).unwrap_or(NONE)
    }

    /// Counts `bytes` more; false once the listing has failed (it fails here when it grows
    /// over the limit).
    fn grow(&mut self, bytes: usize) -> bool {
        self.size = self.size.saturating_add(bytes);
        if self.size > MAX_RECORD_BYTES {
            self.fail(format!("larger than {} MiB", MAX_RECORD_BYTES >> 20));
        }
        self.failure.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(b: &mut Builder, name: &str, text: &str) {
        b.open(name);
        b.text(text);
        b.close();
    }

    #[test]
    fn reads_children_attributes_and_reuses_the_arena() {
        let mut b = Builder::default();
        for round in 0..3 {
            b.start("residential");
            leaf(&mut b, "agentID", "AG");
            leaf(&mut b, "uniqueID", &format!(" U{round} "));
            b.open("objects");
            for id in ["a", "m"] {
                b.open("img");
                b.attribute("ID", id);
                b.attribute("url", &format!("https://x/{id}.jpg"));
                b.close();
            }
            b.close();
            assert_eq!(b.external_id(), Some(format!("AG:U{round}")));
            let p = b.finish().unwrap();
            assert_eq!(p.name(), "residential");
            assert_eq!(p.value_of("uniqueid"), Some(format!("U{round}").as_str()));
            let images: Vec<_> = p.child("objects").unwrap().all("img").collect();
            assert_eq!(images[1].attr("id"), Some("m"));
            assert_eq!(images[0].attr("url"), Some("https://x/a.jpg"));
            assert_eq!(images[0].attr("modtime"), None);
        }
        assert_eq!(b.slots.len(), 6, "one slot per element, reused");
    }

    #[test]
    fn a_failed_listing_keeps_its_path_and_id() {
        let mut b = Builder::default();
        b.start("rental");
        leaf(&mut b, "uniqueID", "X1");
        b.open("description");
        b.fail("too long".into());
        b.open("b");
        b.text("ignored");
        assert_eq!(b.path(), "description");
        b.close();
        b.close();
        assert_eq!(b.external_id().as_deref(), Some("X1"));
        assert_eq!(b.finish().unwrap_err(), "too long");
    }
}
