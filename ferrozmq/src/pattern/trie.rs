//! [`Trie`]: subscriptions, byte prefixes of the first frame, kept as a
//! tree of bytes so that matching a message costs its topic's length, not
//! the number of subscriptions (libzmq's `trie` and `mtrie`).

use crate::pipe::PipeId;

/// Who subscribed to which prefixes.
///
/// A publisher keeps one per socket, each prefix with the pipes that
/// subscribed to it, as a set: a subscriber that sends a prefix twice is
/// subscribed once, and one CANCEL ends it (a SUB sends every SUBSCRIBE it
/// is asked for, and a CANCEL only for the last). A subscriber keeps one
/// for itself (`counted`): each prefix with how many times it was
/// subscribed, so that only the last unsubscribe cancels it.
#[derive(Debug, Default)]
pub(crate) struct Trie {
    root: Node,
    counted: bool,
}

#[derive(Debug, Default)]
struct Node {
    /// Children by their byte, in order.
    children: Vec<(u8, Node)>,
    /// Who subscribed to the prefix that ends here, and how many times.
    subscribers: Vec<(PipeId, u32)>,
}

impl Node {
    fn is_empty(&self) -> bool {
        self.children.is_empty() && self.subscribers.is_empty()
    }

    fn child(&self, byte: u8) -> Option<&Node> {
        let i = self.children.binary_search_by_key(&byte, |c| c.0).ok()?;
        Some(&self.children[i].1)
    }

    /// Removes `who` here and below; `gone` hears of each prefix left with
    /// no subscriber. Empty branches are pruned.
    fn remove_all(&mut self, who: PipeId, prefix: &mut Vec<u8>, gone: &mut impl FnMut(&[u8])) {
        if let Some(i) = self.subscribers.iter().position(|s| s.0 == who) {
            self.subscribers.swap_remove(i);
            if self.subscribers.is_empty() {
                gone(prefix);
            }
        }
        self.children.retain_mut(|(byte, child)| {
            prefix.push(*byte);
            child.remove_all(who, prefix, gone);
            prefix.pop();
            !child.is_empty()
        });
    }

    fn each_prefix(&self, prefix: &mut Vec<u8>, f: &mut impl FnMut(&[u8])) {
        if !self.subscribers.is_empty() {
            f(prefix);
        }
        for (byte, child) in &self.children {
            prefix.push(*byte);
            child.each_prefix(prefix, f);
            prefix.pop();
        }
    }
}

/// What an [`Trie::add`] or a [`Trie::remove`] changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// Nothing: the subscriber had the prefix already (or, on remove, did
    /// not have it, or still has it counted).
    None,
    /// The subscriber's subscription to the prefix began or ended, while
    /// others have it.
    Subscriber,
    /// The first subscriber of the prefix came, or the last one left.
    Prefix,
}

impl Trie {
    /// A subscriber's own subscriptions, counted.
    pub(crate) fn counted() -> Self {
        Self {
            root: Node::default(),
            counted: true,
        }
    }

    /// `who` subscribes to `prefix`.
    pub(crate) fn add(&mut self, prefix: &[u8], who: PipeId) -> Change {
        let mut node = &mut self.root;
        for &byte in prefix {
            let i = match node.children.binary_search_by_key(&byte, |c| c.0) {
                Ok(i) => i,
                Err(i) => {
                    node.children.insert(i, (byte, Node::default()));
                    i
                }
            };
            node = &mut node.children[i].1;
        }
        match node.subscribers.iter_mut().find(|s| s.0 == who) {
            Some(subscriber) => {
                if self.counted {
                    subscriber.1 += 1;
                }
                Change::None
            }
            None => {
                node.subscribers.push((who, 1));
                if node.subscribers.len() == 1 {
                    Change::Prefix
                } else {
                    Change::Subscriber
                }
            }
        }
    }

    /// `who` unsubscribes from `prefix`.
    pub(crate) fn remove(&mut self, prefix: &[u8], who: PipeId) -> Change {
        let (change, _) = remove(&mut self.root, prefix, who, self.counted);
        change
    }

    /// `who` leaves: each prefix it was the last subscriber of is passed to
    /// `gone`.
    pub(crate) fn remove_all(&mut self, who: PipeId, mut gone: impl FnMut(&[u8])) {
        self.root.remove_all(who, &mut Vec::new(), &mut gone);
    }

    /// Calls `f` with each subscriber of a prefix of `topic` (a subscriber
    /// of several of them more than once).
    pub(crate) fn matches(&self, topic: &[u8], mut f: impl FnMut(PipeId)) {
        let mut node = &self.root;
        for &byte in topic {
            node.subscribers.iter().for_each(|s| f(s.0));
            match node.child(byte) {
                Some(child) => node = child,
                None => return,
            }
        }
        node.subscribers.iter().for_each(|s| f(s.0));
    }

    /// Whether any prefix of `topic` is subscribed to.
    pub(crate) fn has_match(&self, topic: &[u8]) -> bool {
        let mut found = false;
        self.matches(topic, |_| found = true);
        found
    }

    /// Calls `f` with each prefix that has a subscriber, once.
    pub(crate) fn each_prefix(&self, mut f: impl FnMut(&[u8])) {
        self.root.each_prefix(&mut Vec::new(), &mut f);
    }
}

/// Removes `who` from `prefix` under `node`; says what changed, and
/// whether `node` is left empty (to be pruned).
fn remove(node: &mut Node, prefix: &[u8], who: PipeId, counted: bool) -> (Change, bool) {
    let change = match prefix.split_first() {
        None => match node.subscribers.iter().position(|s| s.0 == who) {
            None => Change::None,
            Some(i) if counted && node.subscribers[i].1 > 1 => {
                node.subscribers[i].1 -= 1;
                Change::None
            }
            Some(i) => {
                node.subscribers.swap_remove(i);
                if node.subscribers.is_empty() {
                    Change::Prefix
                } else {
                    Change::Subscriber
                }
            }
        },
        Some((&byte, rest)) => {
            let Ok(i) = node.children.binary_search_by_key(&byte, |c| c.0) else {
                return (Change::None, false);
            };
            let (change, empty) = remove(&mut node.children[i].1, rest, who, counted);
            if empty {
                node.children.remove(i);
            }
            change
        }
    };
    (change, node.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matching(trie: &Trie, topic: &[u8]) -> Vec<PipeId> {
        let mut who = Vec::new();
        trie.matches(topic, |id| who.push(id));
        who.sort_unstable();
        who.dedup();
        who
    }

    /// RFC 29: a subscription is a prefix of the first frame; the empty
    /// one matches every message.
    #[test]
    fn prefixes_match_topics_that_start_with_them() {
        let mut trie = Trie::default();
        assert_eq!(trie.add(b"weather", 1), Change::Prefix);
        assert_eq!(trie.add(b"weather.paris", 2), Change::Prefix);
        assert_eq!(trie.add(b"", 3), Change::Prefix);
        assert_eq!(trie.add(b"weather", 4), Change::Subscriber);
        assert_eq!(matching(&trie, b"weather.paris 20C"), [1, 2, 3, 4]);
        assert_eq!(matching(&trie, b"weather"), [1, 3, 4]);
        assert_eq!(matching(&trie, b"weath"), [3]);
        assert_eq!(matching(&trie, b"sports"), [3]);
        assert!(!Trie::default().has_match(b"anything"));
    }

    /// A publisher's view is a set: a prefix sent twice is one
    /// subscription, ended by one cancel; branches left empty go away.
    #[test]
    fn a_publishers_subscriptions_are_sets() {
        let mut trie = Trie::default();
        trie.add(b"abc", 1);
        assert_eq!(trie.add(b"abc", 1), Change::None);
        assert_eq!(trie.remove(b"abc", 1), Change::Prefix);
        assert_eq!(trie.remove(b"abc", 1), Change::None);
        assert_eq!(trie.remove(b"zzz", 1), Change::None);
        assert!(trie.root.is_empty(), "pruned");
    }

    /// A subscriber's own view is counted: two subscribes need two
    /// unsubscribes before the prefix is cancelled.
    #[test]
    fn a_subscribers_own_subscriptions_are_counted() {
        let mut trie = Trie::counted();
        assert_eq!(trie.add(b"t", 0), Change::Prefix);
        assert_eq!(trie.add(b"t", 0), Change::None);
        assert_eq!(trie.remove(b"t", 0), Change::None);
        assert!(trie.has_match(b"topic"));
        assert_eq!(trie.remove(b"t", 0), Change::Prefix);
        assert!(!trie.has_match(b"topic"));
    }

    /// A subscriber leaving takes its prefixes with it; those no one else
    /// has are reported (XPUB tells its application of them).
    #[test]
    fn a_leaving_subscriber_reports_the_prefixes_it_was_last_on() {
        let mut trie = Trie::default();
        for (prefix, who) in [(&b"a"[..], 1), (b"ab", 1), (b"ab", 2), (b"", 1)] {
            trie.add(prefix, who);
        }
        let mut gone = Vec::new();
        trie.remove_all(1, |p| gone.push(p.to_vec()));
        gone.sort();
        assert_eq!(gone, [b"".to_vec(), b"a".to_vec()]);
        assert_eq!(matching(&trie, b"abc"), [2]);
        let mut left = Vec::new();
        trie.each_prefix(|p| left.push(p.to_vec()));
        assert_eq!(left, [b"ab".to_vec()]);
    }
}
