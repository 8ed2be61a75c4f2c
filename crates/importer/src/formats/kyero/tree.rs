//! One `<property>` element as a small tree, built from XML events, so its children can be
//! read in any order. Only one property is held at a time, and at most
//! [`MAX_RECORD_BYTES`](crate::formats::MAX_RECORD_BYTES) of it; once a property fails (too
//! large, a text too long, an undefined entity) only its open elements' names and its `id`
//! are kept.
//!
//! The tree lives in an arena of slots that the next property reuses: a slot's strings are
//! cleared, not dropped, so a feed of similar properties reads without allocating for its
//! structure. What the arena keeps between properties is bounded ([`MAX_KEPT_SLOTS`] slots,
//! strings of at most [`MAX_KEPT_CAPACITY`] bytes each).

use crate::formats::MAX_RECORD_BYTES;

/// What a node costs besides its name and text, for the size limit.
const NODE_OVERHEAD: usize = 64;
/// The longest `id` text kept once a property has failed (for its error).
const MAX_ID_BYTES: usize = 1024;
/// Slots kept for the next property; more are freed.
const MAX_KEPT_SLOTS: usize = 256;
/// The largest string capacity a kept slot keeps; a larger string is freed.
const MAX_KEPT_CAPACITY: usize = 16 * 1024;
/// No slot: the end of a list of children.
const NONE: u32 = u32::MAX;

/// An element's storage: lower-case local name, `id` attribute, text (all text and CDATA
/// directly inside it, entities resolved) and links to its children in document order.
#[derive(Debug, Default)]
struct Slot {
    name: String,
    id: String,
    has_id: bool,
    text: String,
    first_child: u32,
    last_child: u32,
    next_sibling: u32,
}

impl Slot {
    /// Empties the slot for a new element, keeping the capacity of small strings.
    fn reset(&mut self) {
        for s in [&mut self.name, &mut self.id, &mut self.text] {
            if s.capacity() > MAX_KEPT_CAPACITY {
                *s = String::new();
            } else {
                s.clear();
            }
        }
        self.has_id = false;
        self.first_child = NONE;
        self.last_child = NONE;
        self.next_sibling = NONE;
    }
}

/// An element of a finished property, as the mapping reads it.
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

    /// The element's `id` attribute, trimmed, if it has one.
    pub fn id(self) -> Option<&'a str> {
        self.slot.has_id.then_some(self.slot.id.as_str())
    }

    /// The child elements, in document order.
    pub fn children(self) -> impl Iterator<Item = Node<'a>> {
        let slots = self.slots;
        std::iter::successors(Self::at(slots, self.slot.first_child), move |n| {
            Self::at(slots, n.slot.next_sibling)
        })
    }

    /// The first child named `name`.
    pub fn child(self, name: &str) -> Option<Node<'a>> {
        self.children().find(|c| c.name() == name)
    }

    /// The children named `name`, in document order.
    pub fn all(self, name: &'a str) -> impl Iterator<Item = Node<'a>> {
        self.children().filter(move |c| c.name() == name)
    }

    /// The text of this node, trimmed, or `None` when empty.
    pub fn value(self) -> Option<&'a str> {
        Some(self.slot.text.trim()).filter(|t| !t.is_empty())
    }

    /// The trimmed, non-empty text of the first child named `name`.
    pub fn value_of(self, name: &str) -> Option<&'a str> {
        self.child(name).and_then(Node::value)
    }
}

/// Builds the tree of one property from its events; [`Builder::start`] begins the next one
/// in the same arena.
#[derive(Debug, Default)]
pub(super) struct Builder {
    /// The arena; `slots[..used]` belong to the property being read, `slots[0]` is it.
    slots: Vec<Slot>,
    used: usize,
    /// The open elements: the property first, the innermost last.
    stack: Vec<u32>,
    size: usize,
    /// Why the property fails, once it does; its content is then no longer kept.
    failure: Option<String>,
    /// The property's `id`, kept as soon as it is read (even when the rest fails).
    external_id: Option<String>,
}

impl Builder {
    /// Starts a `<property>`, forgetting the previous one.
    pub fn start(&mut self) {
        self.slots.truncate(MAX_KEPT_SLOTS);
        self.used = 0;
        self.stack.clear();
        self.size = 0;
        self.failure = None;
        self.external_id = None;
        let property = self.push("property");
        self.stack.push(property);
    }

    /// An element opens inside the property, with its `id` attribute (trimmed) if any.
    pub fn open(&mut self, name: &str, id: Option<&str>) {
        let kept = self.grow(name.len() + NODE_OVERHEAD);
        // The name is kept even after a failure: it keeps the nesting right and names the
        // element in later errors.
        let index = self.push(name);
        if kept
            && let Some(id) = id
            && let Some(slot) = self.slot_mut(index)
        {
            slot.id.push_str(id);
            slot.has_id = true;
        }
        self.stack.push(index);
    }

    /// Text, CDATA or a resolved entity inside the innermost open element.
    pub fn text(&mut self, text: &str) {
        let reading_id = self.stack.len() == 2;
        let kept = self.grow(text.len());
        let Some(&index) = self.stack.last() else {
            return;
        };
        if let Some(slot) = self.slot_mut(index) {
            let id_still_wanted = reading_id
                && slot.name == "id"
                && slot.text.len().saturating_add(text.len()) <= MAX_ID_BYTES;
            if kept || id_still_wanted {
                slot.text.push_str(text);
            }
        }
    }

    /// The innermost element inside the property closes.
    pub fn close(&mut self) {
        if self.stack.len() < 2 {
            return;
        }
        let Some(index) = self.stack.pop() else {
            return;
        };
        let Some(&parent) = self.stack.last() else {
            return;
        };
        if self.stack.len() == 1 && self.external_id.is_none() {
            let node = self.node(index).filter(|n| n.name() == "id");
            self.external_id = node.and_then(Node::value).map(str::to_owned);
        }
        if self.failure.is_some() {
            // Only open elements are kept after a failure: this one is the last slot.
            if usize::try_from(index).is_ok_and(|i| i + 1 == self.used) {
                self.used -= 1;
            }
            return;
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

    /// The open elements inside the property, as `desc/en` (`property` at its top level).
    pub fn path(&self) -> String {
        let names: Vec<&str> = self.stack[1..]
            .iter()
            .filter_map(|&i| self.node(i).map(Node::name))
            .collect();
        if names.is_empty() {
            "property".into()
        } else {
            names.join("/")
        }
    }

    /// The property fails for `reason` (the first reason is kept); what was read of it is
    /// forgotten but for its open elements (moved to the front of the arena).
    pub fn fail(&mut self, reason: String) {
        if self.failure.is_some() {
            return;
        }
        self.failure = Some(reason);
        // A child's slot comes after its parent's, so moving each open element forward to
        // its place on the stack never moves another open element backward.
        for depth in 0..self.stack.len() {
            let from = self.stack[depth] as usize;
            self.slots.swap(depth, from);
            self.stack[depth] = u32::try_from(depth).unwrap_or(NONE);
        }
        for slot in &mut self.slots[self.stack.len()..self.used] {
            slot.reset();
        }
        self.used = self.stack.len();
        for slot in &mut self.slots[..self.used] {
            slot.first_child = NONE;
            slot.last_child = NONE;
            slot.next_sibling = NONE;
            if slot.name != "id" {
                slot.text.clear();
            }
        }
    }

    /// The bytes the property counts for its size limit so far.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The property's id, when read.
    pub fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }

    /// Closes what is still open and gives the finished property, or why it failed.
    pub fn finish(&mut self) -> Result<Node<'_>, String> {
        if let Some(reason) = self.failure.take() {
            return Err(reason);
        }
        while self.stack.len() > 1 {
            self.close();
        }
        self.node(0).ok_or_else(|| "no property".to_owned())
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

    /// Counts `bytes` more; false once the property has failed (it fails here when it grows
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
        b.open(name, None);
        b.text(text);
        b.close();
    }

    #[test]
    fn reads_children_in_order_and_reuses_the_arena() {
        let mut b = Builder::default();
        for round in 0..3 {
            b.start();
            leaf(&mut b, "ID", &format!(" A{round} "));
            b.open("images", None);
            for n in ["2", "1"] {
                b.open("image", Some(n));
                leaf(&mut b, "url", &format!("u{n}"));
                b.close();
            }
            b.close();
            b.text("  ");
            assert_eq!(b.external_id(), Some(format!("A{round}").as_str()));
            let p = b.finish().unwrap();
            assert_eq!(p.value_of("id"), Some(format!("A{round}").as_str()));
            let images: Vec<_> = p.child("images").unwrap().all("image").collect();
            assert_eq!(images.len(), 2);
            assert_eq!(images[0].id(), Some("2"));
            assert_eq!(images[1].value_of("url"), Some("u1"));
            assert_eq!(p.child("images").unwrap().id(), None);
            assert_eq!(p.value(), None);
        }
        assert_eq!(b.slots.len(), 7, "one slot per element, reused");
    }

    #[test]
    fn a_failed_property_keeps_its_open_elements_only() {
        let mut b = Builder::default();
        b.start();
        leaf(&mut b, "id", "X1");
        leaf(&mut b, "ref", "R");
        b.open("desc", None);
        b.open("en", None);
        b.fail("too long".into());
        b.fail("second reason".into());
        assert_eq!(b.path(), "desc/en");
        b.open("b", None);
        assert_eq!(b.path(), "desc/en/b");
        b.close();
        b.close();
        b.close();
        assert_eq!(b.used, 1);
        assert_eq!(b.external_id(), Some("X1"));
        assert_eq!(b.finish().unwrap_err(), "too long");
        b.start();
        leaf(&mut b, "id", "X2");
        let p = b.finish().unwrap();
        assert_eq!(p.children().count(), 1);
        assert_eq!(p.value_of("id"), Some("X2"));
    }
}
