//! What the streaming XML readers (Kyero, REAXML, OpenImmo) share, besides the window of
//! decoded bytes the parser reads in place ([`Window`](crate::formats::window::Window)): one pass of the pull parser over it with the
//! node size limits ([`scan`]), the loop that runs those passes to the next record
//! ([`reader`]), references resolved without ever expanding a declared entity ([`refs`]), a
//! record's bytes kept up to the record limit ([`kept`]),
//! the search for where a record ends that lets a reader cut it out to be parsed elsewhere
//! ([`split`]), and the tree one record is read into ([`tree`]). Each reader keeps its own document
//! (which elements are records).

pub(crate) mod kept;
pub(crate) mod reader;
pub(crate) mod refs;
pub(crate) mod scan;
pub(crate) mod split;
pub(crate) mod tree;
