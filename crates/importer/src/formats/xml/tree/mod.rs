//! One record element (a Kyero `<property>`, a REAXML listing, an OpenImmo `<immobilie>` or
//! header element) as a small tree with its attributes, built from the scanner's events, so
//! the mapping can read its children in any order.
//!
//! Only one record is held at a time, within its [`Limits`]. Once a record fails (too large,
//! a text too long, an undefined reference, an attribute that cannot be read) nothing more of
//! it is kept but the depth of its elements and its keys: the text of the root's children
//! named at [`Builder::start`] (an `id`, a `uniqueID`), read even after a failure so the
//! record's error can name it.
//!
//! The tree lives in an arena of slots that the next record reuses: a slot's strings are
//! cleared, not dropped, so a feed of similar records reads without allocating for its
//! structure. What the arena keeps between records is bounded ([`MAX_KEPT_SLOTS`] slots,
//! strings of at most [`MAX_KEPT_CAPACITY`](node::MAX_KEPT_CAPACITY) bytes each).

use crate::formats::size;

mod node;

pub(crate) use node::Node;
use node::{NONE, Slot};

/// What a node costs besides its name, attributes and text, for the size limit.
const NODE_OVERHEAD: usize = 64;
/// Slots kept for the next record; more are freed.
const MAX_KEPT_SLOTS: usize = 512;
/// The longest key text kept; a longer key is not kept at all.
const MAX_KEY_BYTES: usize = 1024;

/// The bounds of one record's tree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most bytes the tree may hold: names, attributes, text and a small overhead per
    /// element. A record over it fails with "larger than …".
    pub tree_bytes: usize,
    /// The most text one element may hold. A record over it fails with "`path`: a text
    /// longer than …".
    pub text_bytes: usize,
}

/// Builds the tree of one record from its events; [`Builder::start`] begins the next one in
/// the same arena.
#[derive(Debug)]
pub(crate) struct Builder {
    /// The arena; `slots[..used]` belong to the record being read, `slots[0]` is its root.
    slots: Vec<Slot>,
    used: usize,
    /// The open elements: the root first, the innermost last.
    stack: Vec<u32>,
    /// Elements opened (and not yet closed) after the record failed, which are not kept.
    skipped: usize,
    /// The bytes counted against `limits.tree_bytes` so far.
    size: usize,
    limits: Limits,
    /// Why the record fails, once it does.
    failure: Option<String>,
    /// The names of the root's children that are the record's keys.
    key_names: &'static [&'static str],
    /// The keys read so far, one per name.
    keys: Vec<Option<String>>,
    /// The key being read (an index into `key_names`) and its text so far.
    key_reading: Option<usize>,
    key_text: String,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            used: 0,
            stack: Vec::new(),
            skipped: 0,
            size: 0,
            limits: Limits {
                tree_bytes: usize::MAX,
                text_bytes: usize::MAX,
            },
            failure: None,
            key_names: &[],
            keys: Vec::new(),
            key_reading: None,
            key_text: String::new(),
        }
    }
}

impl Builder {
    /// Starts a record whose root is named `name`, within `limits`, keeping the text of the
    /// root's children named in `keys` (lower case) even if it fails; the previous record is
    /// forgotten.
    pub fn start(&mut self, name: &str, limits: Limits, keys: &'static [&'static str]) {
        self.slots.truncate(MAX_KEPT_SLOTS);
        self.used = 0;
        self.stack.clear();
        self.skipped = 0;
        self.size = 0;
        self.limits = limits;
        self.failure = None;
        self.key_names = keys;
        self.keys.clear();
        self.keys.resize(keys.len(), None);
        self.key_reading = None;
        let root = self.push(name);
        self.stack.push(root);
    }

    /// Whether the record has failed (nothing more of it is kept).
    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// The bytes the record counts for its size limit so far.
    pub fn size(&self) -> usize {
        self.size
    }

    /// An element opens inside the root.
    pub fn open(&mut self, name: &str) {
        if self.depth() == 1 {
            self.key_reading = self
                .key_names
                .iter()
                .position(|k| name.eq_ignore_ascii_case(k));
            self.key_text.clear();
        }
        if self.failure.is_some() || !self.grow(name.len() + NODE_OVERHEAD) {
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
        if self.skipped > 0 || !self.grow(name.len() + value.len() + 2) {
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

    /// Text, CDATA or a resolved reference inside the innermost open element.
    pub fn text(&mut self, text: &str) {
        if self.key_reading.is_some() && self.depth() == 2 {
            if self.key_text.len().saturating_add(text.len()) <= MAX_KEY_BYTES {
                self.key_text.push_str(text);
            } else {
                self.key_reading = None;
            }
        }
        if self.skipped > 0 || !self.grow(text.len()) {
            return;
        }
        let max = self.limits.text_bytes;
        let Some(&index) = self.stack.last() else {
            return;
        };
        let Some(slot) = self.slot_mut(index) else {
            return;
        };
        if slot.text.len().saturating_add(text.len()) > max {
            let reason = format!("{}: a text longer than {}", self.path(), size(max));
            self.fail(reason);
            return;
        }
        slot.text.push_str(text);
    }

    /// The innermost open element closes; true once the root has.
    pub fn close(&mut self) -> bool {
        if self.depth() == 2
            && let Some(key) = self.key_reading.take()
            && let Some(kept @ None) = self.keys.get_mut(key)
        {
            let value = self.key_text.trim();
            *kept = (!value.is_empty()).then(|| value.to_owned());
        }
        if self.skipped > 0 {
            self.skipped -= 1;
            return false;
        }
        self.stack.pop();
        self.stack.is_empty()
    }

    /// The open elements inside the root, as `desc/en` (the root's name at its top level).
    pub fn path(&self) -> String {
        let names: Vec<&str> = self
            .stack
            .iter()
            .skip(1)
            .filter_map(|&i| self.node(i).map(Node::name))
            .collect();
        if names.is_empty() {
            self.node(0).map_or("record", Node::name).to_owned()
        } else {
            names.join("/")
        }
    }

    /// The record fails for `reason` (the first reason is kept). A key being read when it
    /// fails is not kept: its text may be cut or miss what failed.
    pub fn fail(&mut self, reason: String) {
        if self.failure.is_none() {
            self.failure = Some(reason);
            if self.depth() >= 2 {
                self.key_reading = None;
            }
        }
    }

    /// The key named `name` (one given to [`Builder::start`]), trimmed, once its element has
    /// closed with text.
    pub fn key(&self, name: &str) -> Option<&str> {
        let index = self.key_names.iter().position(|k| *k == name)?;
        self.keys.get(index)?.as_deref()
    }

    /// The finished record, or why it failed.
    pub fn finish(&mut self) -> Result<Node<'_>, String> {
        self.stack.clear();
        self.skipped = 0;
        if let Some(reason) = self.failure.take() {
            return Err(reason);
        }
        self.node(0).ok_or_else(|| "empty".to_owned())
    }

    /// Open elements, the root included.
    fn depth(&self) -> usize {
        self.stack.len() + self.skipped
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

    /// Counts `bytes` more; false once the record has failed (it fails here when it grows
    /// over its limit).
    fn grow(&mut self, bytes: usize) -> bool {
        self.size = self.size.saturating_add(bytes);
        if self.size > self.limits.tree_bytes && self.failure.is_none() {
            self.fail(format!("larger than {}", size(self.limits.tree_bytes)));
        }
        self.failure.is_none()
    }
}

#[cfg(test)]
mod tests;
