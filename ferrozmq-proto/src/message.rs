//! [`Message`]: a multipart ZeroMQ message.

use std::sync::Arc;

use bytes::Bytes;

use crate::Metadata;

/// A ZeroMQ message: one or more frames ("parts"), each a [`Bytes`].
///
/// Cloning is cheap: the parts are reference-counted, never copied. A
/// single-part message (the common case) allocates nothing of its own.
/// A message always travels whole: a peer never sees half of it.
///
/// A received message also tells who sent it: [`Message::property`] gives
/// the sending peer's properties, as libzmq's `zmq_msg_gets` and pyzmq's
/// `Frame.get` do. They are not part of the message's content: equality and
/// hashing look at the parts only.
#[derive(Clone, Debug, Default)]
pub struct Message {
    parts: Parts,
    properties: Option<Arc<Metadata>>,
}

/// One part is kept inline; more go in a vector.
#[derive(Clone, Debug)]
enum Parts {
    One(Bytes),
    Many(Vec<Bytes>),
}

impl Default for Parts {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl Message {
    /// An empty message with no parts. Push parts before sending it:
    /// a message with no parts cannot be sent.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty message with room for `n` parts.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            parts: Parts::Many(Vec::with_capacity(n)),
            properties: None,
        }
    }

    /// Appends a part.
    pub fn push(&mut self, part: impl Into<Bytes>) {
        let part = part.into();
        match &mut self.parts {
            Parts::Many(v) if v.is_empty() && v.capacity() == 0 => self.parts = Parts::One(part),
            Parts::Many(v) => v.push(part),
            Parts::One(_) => self.parts_mut().push(part),
        }
    }

    /// Inserts a part at the front (used to add an envelope).
    pub fn push_front(&mut self, part: impl Into<Bytes>) {
        self.parts_mut().insert(0, part.into());
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[Bytes] {
        match &self.parts {
            Parts::One(part) => std::slice::from_ref(part),
            Parts::Many(parts) => parts,
        }
    }

    /// Mutable access to the list of parts.
    pub fn parts_mut(&mut self) -> &mut Vec<Bytes> {
        if let Parts::One(part) = &mut self.parts {
            let part = std::mem::take(part);
            self.parts = Parts::Many(vec![part]);
        }
        match &mut self.parts {
            Parts::Many(parts) => parts,
            Parts::One(_) => unreachable!("converted above"),
        }
    }

    /// The parts, taken out of the message.
    pub fn into_parts(self) -> Vec<Bytes> {
        match self.parts {
            Parts::One(part) => vec![part],
            Parts::Many(parts) => parts,
        }
    }

    /// The number of parts.
    pub fn len(&self) -> usize {
        self.parts().len()
    }

    /// True when the message has no parts.
    pub fn is_empty(&self) -> bool {
        self.parts().is_empty()
    }

    /// The total size of all parts in bytes.
    pub fn size(&self) -> usize {
        self.parts().iter().map(Bytes::len).sum()
    }

    /// The first part, if any.
    pub fn first(&self) -> Option<&Bytes> {
        self.parts().first()
    }

    /// The last part, if any.
    pub fn last(&self) -> Option<&Bytes> {
        self.parts().last()
    }

    /// An iterator over the parts.
    pub fn iter(&self) -> std::slice::Iter<'_, Bytes> {
        self.parts().iter()
    }

    /// A property of the peer this message came from: `Socket-Type`,
    /// `Identity` and any other property of its handshake, `Peer-Address`
    /// (the address it connected from), and `User-Id` where a ZAP handler
    /// named it. Names compare in any case. `None` for a message that was
    /// not received, or a property the peer does not have.
    pub fn property(&self, name: &str) -> Option<&Bytes> {
        self.properties.as_ref()?.get(name)
    }

    /// Every property of the peer this message came from; see
    /// [`Message::property`].
    pub fn properties(&self) -> Option<&Metadata> {
        self.properties.as_deref()
    }

    /// Marks the message as coming from a peer with these properties (the
    /// receiving socket does this; they are shared, not copied).
    pub fn set_properties(&mut self, properties: Arc<Metadata>) {
        self.properties = Some(properties);
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for Message {}

impl std::hash::Hash for Message {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl From<Vec<Bytes>> for Message {
    fn from(parts: Vec<Bytes>) -> Self {
        Self {
            parts: Parts::Many(parts),
            properties: None,
        }
    }
}

impl From<Bytes> for Message {
    fn from(part: Bytes) -> Self {
        Self {
            parts: Parts::One(part),
            properties: None,
        }
    }
}

/// Copies the text; for a `&'static str` without a copy, use
/// `Bytes::from_static`.
impl From<&str> for Message {
    fn from(part: &str) -> Self {
        Bytes::copy_from_slice(part.as_bytes()).into()
    }
}

impl From<String> for Message {
    fn from(part: String) -> Self {
        Bytes::from(part).into()
    }
}

impl From<&String> for Message {
    fn from(part: &String) -> Self {
        Bytes::copy_from_slice(part.as_bytes()).into()
    }
}

impl From<Vec<u8>> for Message {
    fn from(part: Vec<u8>) -> Self {
        Bytes::from(part).into()
    }
}

impl From<&[u8]> for Message {
    fn from(part: &[u8]) -> Self {
        Bytes::copy_from_slice(part).into()
    }
}

impl<T: Into<Bytes>> FromIterator<T> for Message {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let parts: Vec<Bytes> = iter.into_iter().map(Into::into).collect();
        parts.into()
    }
}

impl IntoIterator for Message {
    type Item = Bytes;
    type IntoIter = std::vec::IntoIter<Bytes>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_parts().into_iter()
    }
}

impl<'a> IntoIterator for &'a Message {
    type Item = &'a Bytes;
    type IntoIter = std::slice::Iter<'a, Bytes>;

    fn into_iter(self) -> Self::IntoIter {
        self.parts().iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_parts_in_order() {
        let m: Message = ["a", "", "ccc"].into_iter().collect();
        assert_eq!(m.len(), 3);
        assert_eq!(m.size(), 4);
        assert_eq!(m.parts()[1], Bytes::new());
        let mut m2 = Message::from("ccc");
        m2.push_front(Bytes::new());
        m2.push_front("a");
        assert_eq!(m, m2);
        assert_eq!(Message::from(vec![1u8, 2]).first().unwrap()[..], [1, 2]);
    }

    /// Equality and hashing see the parts, not how they are stored.
    #[test]
    fn one_part_inline_equals_one_part_in_a_vector() {
        let inline = Message::from("x");
        let vector = Message::from(vec![Bytes::from_static(b"x")]);
        assert_eq!(inline.parts(), vector.parts());
        let mut pushed = Message::new();
        pushed.push("x");
        assert_eq!(pushed, inline);
        pushed.push("y");
        assert_eq!(pushed.len(), 2);
        let mut with = pushed.clone();
        let mut properties = Metadata::new();
        properties.insert("Peer-Address", "127.0.0.1");
        with.set_properties(Arc::new(properties));
        assert_eq!(with, pushed, "properties are not content");
        assert_eq!(with.property("peer-address").unwrap(), "127.0.0.1");
        assert_eq!(pushed.property("peer-address"), None);
        assert_eq!(
            pushed.into_parts(),
            [Bytes::from_static(b"x"), Bytes::from_static(b"y")]
        );
    }
}
