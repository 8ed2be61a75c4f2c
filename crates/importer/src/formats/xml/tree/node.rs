//! What the record tree is made of: a slot per element in the arena, and [`Node`], an element
//! of a finished tree as the mapping reads it (children, text, attributes).

/// The largest string capacity a kept slot keeps; a larger string is freed.
pub(super) const MAX_KEPT_CAPACITY: usize = 16 * 1024;
/// No slot: the end of a list of children.
pub(super) const NONE: u32 = u32::MAX;

/// An element's storage: lower-case local name, attributes (lower-case local names and
/// values, one after another in `attributes`, `spans` saying where each name ends and each
/// value ends), text (all text and CDATA directly inside it, references resolved) and links
/// to its children in document order.
#[derive(Debug, Default)]
pub(super) struct Slot {
    pub(super) name: String,
    pub(super) attributes: String,
    /// Per attribute: where its name starts, where its name ends (and its value starts),
    /// where its value ends.
    pub(super) spans: Vec<[u32; 3]>,
    pub(super) text: String,
    pub(super) first_child: u32,
    pub(super) last_child: u32,
    pub(super) next_sibling: u32,
}

impl Slot {
    /// Empties the slot for a new element, keeping the capacity of small strings.
    pub(super) fn reset(&mut self) {
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
pub(crate) struct Node<'a> {
    slots: &'a [Slot],
    slot: &'a Slot,
}

impl<'a> Node<'a> {
    pub(super) fn at_index(slots: &'a [Slot], index: u32) -> Option<Self> {
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

    /// The first child named `name` (lower case).
    pub fn child(self, name: &str) -> Option<Node<'a>> {
        self.children().find(|c| c.name() == name)
    }

    /// The children named `name` (lower case), in document order.
    pub fn all(self, name: &'a str) -> impl Iterator<Item = Node<'a>> {
        self.children().filter(move |c| c.name() == name)
    }

    /// The element at `path` below this one (`verwaltung_techn/objektnr_extern`).
    pub fn at(self, path: &str) -> Option<Node<'a>> {
        path.split('/')
            .try_fold(self, |node, name| node.child(name))
    }

    /// The text of this element, trimmed, or `None` when empty.
    pub fn value(self) -> Option<&'a str> {
        Some(self.slot.text.trim()).filter(|t| !t.is_empty())
    }

    /// The text of this element as written (untrimmed), for descriptions.
    pub fn raw_text(self) -> &'a str {
        &self.slot.text
    }

    /// The trimmed, non-empty text of the first child named `name`.
    pub fn value_of(self, name: &str) -> Option<&'a str> {
        self.child(name).and_then(Node::value)
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
