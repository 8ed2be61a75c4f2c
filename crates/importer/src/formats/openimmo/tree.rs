//! One `<immobilie>` (or one header element of the `<anbieter>` before it) as a small tree
//! with its attributes, built from the scanner's events, so the mapping can read its children
//! in any order.
//!
//! The tree lives in an arena of slots that the next element reuses: a slot's strings are
//! cleared, not dropped, so a feed of similar records reads without allocating for its
//! structure. What the arena keeps between elements is bounded ([`MAX_KEPT_SLOTS`] slots,
//! strings of at most [`MAX_KEPT_CAPACITY`] bytes each). Once an element fails (a text over
//! the text limit, an unknown reference, an attribute that cannot be read, its bytes over
//! their limit, which the document counts) nothing more of it is kept but the depth of its
//! elements.

/// Slots kept for the next element; more are freed.
const MAX_KEPT_SLOTS: usize = 512;
/// The largest string capacity a kept slot keeps; a larger string is freed.
const MAX_KEPT_CAPACITY: usize = 16 * 1024;
/// No slot: the end of a list of children.
const NONE: u32 = u32::MAX;

/// An element's storage: lower-case local name, attributes (lower-case local names and
/// normalised values, one after another in `attributes`, `spans` saying where each name
/// ends and each value ends), text (all text and CDATA directly inside it, references
/// resolved) and links to its children in document order.
#[derive(Debug, Default)]
struct Slot {
    name: String,
    attributes: String,
    /// Per attribute: where its name starts, where its name ends (and its value starts),
    /// where its value ends.
    spans: Vec<[u32; 3]>,
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
        self.spans.clear();
        self.first_child = NONE;
        self.last_child = NONE;
        self.next_sibling = NONE;
    }
}

/// An element of a finished tree, as the mapping reads it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Node<'a> {
    slots: &'a [Slot],
    slot: &'a Slot,
}

impl<'a> Node<'a> {
    fn at_index(slots: &'a [Slot], index: u32) -> Option<Self> {
        let slot = slots.get(usize::try_from(index).ok()?)?;
        Some(Self { slots, slot })
    }

    /// The element's lower-case local name.
    pub fn name(self) -> &'a str {
        &self.slot.name
    }

    /// The child elements, in document order.
    pub fn children(self) -> impl Iterator<Item = Node<'a>> {
        let slots = self.slots;
        std::iter::successors(Self::at_index(slots, self.slot.first_child), move |n| {
            Self::at_index(slots, n.slot.next_sibling)
        })
    }

    /// The first child named `name`.
    pub fn child(self, name: &str) -> Option<Node<'a>> {
        self.children().find(|c| c.name() == name)
    }

    /// The children named `name`.
    pub fn all(self, name: &'a str) -> impl Iterator<Item = Node<'a>> {
        self.children().filter(move |c| c.name() == name)
    }

    /// The element at `path` below this one (`verwaltung_techn/objektnr_extern`).
    pub fn at(self, path: &str) -> Option<Node<'a>> {
        path.split('/')
            .try_fold(self, |node, name| node.child(name))
    }

    /// The trimmed, non-empty text of this element.
    pub fn value(self) -> Option<&'a str> {
        Some(self.slot.text.trim()).filter(|t| !t.is_empty())
    }

    /// The trimmed, non-empty text of the element at `path`.
    pub fn value_at(self, path: &str) -> Option<&'a str> {
        self.at(path).and_then(Node::value)
    }

    /// The trimmed, non-empty value of the attribute `name` (lower-case local name).
    pub fn attr(self, name: &str) -> Option<&'a str> {
        self.attrs()
            .find(|&(k, _)| k == name)
            .map(|(_, v)| v)
            .filter(|v| !v.is_empty())
    }

    /// The attributes, as (lower-case name, trimmed value), in document order.
    pub fn attrs(self) -> impl Iterator<Item = (&'a str, &'a str)> {
        let all = self.slot.attributes.as_str();
        self.slot.spans.iter().map(move |&[start, middle, end]| {
            let part = |from: u32, to: u32| {
                let (from, to) = (from as usize, to as usize);
                all.get(from..to).unwrap_or_default()
            };
            (part(start, middle), part(middle, end).trim())
        })
    }
}

/// Builds the tree of one element from its events; [`Builder::start`] begins the next one in
/// the same arena.
#[derive(Debug, Default)]
pub(super) struct Builder {
    /// The arena; `slots[..used]` belong to the element being read, `slots[0]` is it.
    slots: Vec<Slot>,
    used: usize,
    /// The open elements: the root first, the innermost last.
    stack: Vec<u32>,
    /// Elements opened (and not yet closed) after the element failed, which are not kept.
    skipped: usize,
    /// The longest text an element may have.
    max_text: usize,
    /// Why the element fails, once it does.
    failure: Option<String>,
}

impl Builder {
    /// Starts an element named `name` whose elements may each hold at most `max_text` bytes
    /// of text, forgetting the previous one.
    pub fn start(&mut self, name: &str, max_text: usize) {
        self.slots.truncate(MAX_KEPT_SLOTS);
        self.used = 0;
        self.stack.clear();
        self.skipped = 0;
        self.max_text = max_text;
        self.failure = None;
        let root = self.push(name);
        self.stack.push(root);
    }

    /// Whether the element has failed (nothing more of it is kept).
    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// An element opens inside the root.
    pub fn open(&mut self, name: &str) {
        if self.failure.is_some() {
            self.skipped += 1;
            return;
        }
        let index = self.push(name);
        let parent = self.stack.last().copied().unwrap_or(NONE);
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
        self.stack.push(index);
    }

    /// An attribute of the element just opened, its name lower-cased.
    pub fn attribute(&mut self, name: &str, value: &str) {
        if self.failure.is_some() || self.skipped > 0 {
            return;
        }
        let Some(&index) = self.stack.last() else {
            return;
        };
        if let Some(slot) = self.slot_mut(index) {
            let offset = |s: &String| u32::try_from(s.len()).unwrap_or(u32::MAX);
            let start = offset(&slot.attributes);
            slot.attributes.push_str(name);
            slot.attributes[start as usize..].make_ascii_lowercase();
            let middle = offset(&slot.attributes);
            slot.attributes.push_str(value);
            let end = offset(&slot.attributes);
            slot.spans.push([start, middle, end]);
        }
    }

    /// Text, CDATA or a resolved reference inside the innermost open element; an element
    /// whose text grows over the text limit fails the whole.
    pub fn text(&mut self, text: &str) {
        if self.failure.is_some() || self.skipped > 0 {
            return;
        }
        let max = self.max_text;
        let Some(&index) = self.stack.last() else {
            return;
        };
        let Some(slot) = self.slot_mut(index) else {
            return;
        };
        if slot.text.len().saturating_add(text.len()) > max {
            let reason = format!(
                "{}: a text longer than {}",
                self.path(),
                crate::formats::size(max)
            );
            self.fail(reason);
            return;
        }
        slot.text.push_str(text);
    }

    /// The innermost open element closes; true once the root has.
    pub fn close(&mut self) -> bool {
        if self.skipped > 0 {
            self.skipped -= 1;
            return false;
        }
        self.stack.pop();
        self.stack.is_empty()
    }

    /// The open elements' names from the root, as `immobilie/preise/kaufpreis`.
    pub fn path(&self) -> String {
        let names: Vec<&str> = self
            .stack
            .iter()
            .filter_map(|&i| self.node(i).map(Node::name))
            .collect();
        names.join("/")
    }

    /// The element fails for `reason` (the first reason is kept).
    pub fn fail(&mut self, reason: String) {
        if self.failure.is_none() {
            self.failure = Some(reason);
        }
    }

    /// The finished element, or why it failed.
    pub fn finish(&mut self) -> Result<Node<'_>, String> {
        self.stack.clear();
        self.skipped = 0;
        if let Some(reason) = self.failure.take() {
            return Err(reason);
        }
        self.node(0).ok_or_else(|| "empty".to_owned())
    }

    fn node(&self, index: u32) -> Option<Node<'_>> {
        Node::at_index(&self.slots[..self.used], index)
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
            b.start("Immobilie", 100);
            b.open("preise");
            b.open("kaufpreis");
            b.attribute("AUF_ANFRAGE", " false ");
            b.attribute("x", "");
            b.text("1 & ");
            b.text(&format!("{round}"));
            b.close();
            b.open("waehrung");
            b.attribute("iso_waehrung", "EUR");
            assert!(!b.close());
            assert!(!b.close());
            leaf(&mut b, "a", "€<b>");
            let p = b.finish().unwrap();
            assert_eq!(p.name(), "immobilie");
            assert_eq!(
                p.value_at("preise/kaufpreis"),
                Some(format!("1 & {round}").as_str())
            );
            let price = p.at("preise/kaufpreis").unwrap();
            assert_eq!(price.attr("auf_anfrage"), Some("false"));
            assert_eq!(price.attr("x"), None);
            assert_eq!(
                price.attrs().collect::<Vec<_>>(),
                [("auf_anfrage", "false"), ("x", "")]
            );
            assert_eq!(
                p.at("preise/waehrung").unwrap().attr("iso_waehrung"),
                Some("EUR")
            );
            assert_eq!(p.value_at("a"), Some("€<b>"));
            assert_eq!(
                p.children().map(Node::name).collect::<Vec<_>>(),
                ["preise", "a"]
            );
        }
        assert_eq!(b.slots.len(), 5, "one slot per element, reused");
    }

    #[test]
    fn a_failed_element_keeps_nothing_more() {
        let mut b = Builder::default();
        b.start("i", 10);
        b.open("a");
        b.text(&"x".repeat(11));
        assert!(b.failed());
        b.open("b");
        assert!(!b.close());
        assert!(!b.close());
        assert!(b.close(), "the root closes");
        assert_eq!(b.finish().unwrap_err(), "i/a: a text longer than 10 bytes");
        b.start("i", 10);
        leaf(&mut b, "a", "short");
        assert_eq!(b.finish().unwrap().value_at("a"), Some("short"));
    }
}
