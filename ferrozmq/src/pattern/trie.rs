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

/// A node: the bytes that lead to it from its parent, so that a long
/// prefix is one node, not a node per byte (a radix tree). Each node but
/// the root has subscribers or at least two children. Nothing here
/// recurses: a chain of nested prefixes as deep as a peer likes costs
/// heap, never stack (libzmq's recursive trie overflowed it,
/// CVE-2021-20236).
#[derive(Debug, Default)]
struct Node {
    /// The bytes from the parent to here; empty only at the root.
    label: Box<[u8]>,
    /// Children, in the order of their labels' first bytes.
    children: Vec<Node>,
    /// Who subscribed to the prefix that ends here, and how many times.
    subscribers: Vec<(PipeId, u32)>,
}

impl Node {
    fn leaf(label: &[u8], who: PipeId) -> Self {
        Self {
            label: label.into(),
            children: Vec::new(),
            subscribers: vec![(who, 1)],
        }
    }

    /// The index of the child whose label starts with `byte`, or where it
    /// would go.
    fn find(&self, byte: u8) -> Result<usize, usize> {
        self.children.binary_search_by_key(&byte, |c| c.label[0])
    }

    /// The child whose whole label starts `rest`, and what is left after it.
    fn step<'a>(&self, rest: &'a [u8]) -> Option<(usize, &'a [u8])> {
        let i = self.find(*rest.first()?).ok()?;
        let tail = rest.strip_prefix(&*self.children[i].label)?;
        Some((i, tail))
    }

    /// Restores "subscribers or two children" at child `i`, once it lost
    /// a subscriber: an empty child goes, one with a single child merges
    /// with it.
    fn tidy(&mut self, i: usize) {
        let child = &mut self.children[i];
        if !child.subscribers.is_empty() {
            return;
        }
        match child.children.len() {
            0 => {
                self.children.remove(i);
            }
            1 => {
                let mut only = child.children.remove(0);
                let mut label = child.label.to_vec();
                label.extend_from_slice(&only.label);
                only.label = label.into();
                self.children[i] = only;
            }
            _ => {}
        }
    }
}

impl Drop for Node {
    /// Takes the tree apart by hand: the default would recurse as deep
    /// as the tree is.
    fn drop(&mut self) {
        let mut stack = std::mem::take(&mut self.children);
        while let Some(mut node) = stack.pop() {
            stack.append(&mut node.children);
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
        let mut rest = prefix;
        while let Some(&first) = rest.first() {
            let i = match node.find(first) {
                Err(i) => {
                    node.children.insert(i, Node::leaf(rest, who));
                    return Change::Prefix;
                }
                Ok(i) => i,
            };
            let label = &node.children[i].label;
            let common = label.iter().zip(rest).take_while(|(a, b)| a == b).count();
            if common < label.len() {
                // The prefix parts from the child's label within it: a new
                // node takes the shared bytes, the child goes below it.
                let mut below = std::mem::take(&mut node.children[i]);
                let shared: Box<[u8]> = below.label[..common].into();
                below.label = below.label[common..].into();
                let mut middle = Node {
                    label: shared,
                    children: vec![below],
                    subscribers: Vec::new(),
                };
                if common == rest.len() {
                    middle.subscribers.push((who, 1));
                } else {
                    let leaf = Node::leaf(&rest[common..], who);
                    let at = usize::from(leaf.label[0] > middle.children[0].label[0]);
                    middle.children.insert(at, leaf);
                }
                node.children[i] = middle;
                return Change::Prefix;
            }
            rest = &rest[common..];
            node = &mut node.children[i];
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
        self.take(prefix, who, self.counted)
    }

    /// Removes `who` from `prefix` (once if `counted`, else wholly), and
    /// tidies the node and its parent: the only ones that can change.
    fn take(&mut self, prefix: &[u8], who: PipeId, counted: bool) -> Change {
        let Some(path) = self.path(prefix) else {
            return Change::None;
        };
        let target = self.node_mut(&path);
        let Some(at) = target.subscribers.iter().position(|s| s.0 == who) else {
            return Change::None;
        };
        if counted && target.subscribers[at].1 > 1 {
            target.subscribers[at].1 -= 1;
            return Change::None;
        }
        target.subscribers.swap_remove(at);
        let change = if target.subscribers.is_empty() {
            Change::Prefix
        } else {
            Change::Subscriber
        };
        if let Some((&last, above)) = path.split_last() {
            self.node_mut(above).tidy(last);
            if let Some((&parent, grand)) = above.split_last() {
                self.node_mut(grand).tidy(parent);
            }
        }
        change
    }

    /// The child indexes from the root to the node of `prefix`, if it has one.
    fn path(&self, prefix: &[u8]) -> Option<Vec<usize>> {
        let mut path = Vec::new();
        let mut node = &self.root;
        let mut rest = prefix;
        while !rest.is_empty() {
            let (i, tail) = node.step(rest)?;
            path.push(i);
            node = &node.children[i];
            rest = tail;
        }
        Some(path)
    }

    fn node_mut(&mut self, path: &[usize]) -> &mut Node {
        path.iter()
            .fold(&mut self.root, |node, &i| &mut node.children[i])
    }

    /// `who` leaves: each prefix it was the last subscriber of is passed to
    /// `gone`.
    pub(crate) fn remove_all(&mut self, who: PipeId, mut gone: impl FnMut(&[u8])) {
        let mut mine = Vec::new();
        self.walk(|prefix, node| {
            if node.subscribers.iter().any(|s| s.0 == who) {
                mine.push(prefix.to_vec());
            }
        });
        for prefix in mine {
            if self.take(&prefix, who, false) == Change::Prefix {
                gone(&prefix);
            }
        }
    }

    /// Calls `f` with each subscriber of a prefix of `topic` (a subscriber
    /// of several of them more than once).
    pub(crate) fn matches(&self, topic: &[u8], mut f: impl FnMut(PipeId)) {
        let mut node = &self.root;
        let mut rest = topic;
        loop {
            node.subscribers.iter().for_each(|s| f(s.0));
            match node.step(rest) {
                Some((i, tail)) => {
                    node = &node.children[i];
                    rest = tail;
                }
                None => return,
            }
        }
    }

    /// Whether any prefix of `topic` is subscribed to.
    pub(crate) fn has_match(&self, topic: &[u8]) -> bool {
        let mut found = false;
        self.matches(topic, |_| found = true);
        found
    }

    /// Calls `f` with each prefix that has a subscriber, once.
    pub(crate) fn each_prefix(&self, mut f: impl FnMut(&[u8])) {
        self.walk(|prefix, node| {
            if !node.subscribers.is_empty() {
                f(prefix);
            }
        });
    }

    /// Visits every node with the prefix that leads to it, depth first,
    /// with a stack of its own.
    fn walk(&self, mut visit: impl FnMut(&[u8], &Node)) {
        let mut prefix = Vec::new();
        let mut stack = vec![(&self.root, 0)];
        while let Some((node, depth)) = stack.pop() {
            prefix.truncate(depth);
            prefix.extend_from_slice(&node.label);
            visit(&prefix, node);
            let len = prefix.len();
            stack.extend(node.children.iter().rev().map(|child| (child, len)));
        }
    }
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
        assert!(trie.root.children.is_empty(), "pruned");
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

    /// Every node but the root has subscribers or two children, and
    /// children are in order of their first byte.
    fn check_shape(trie: &Trie) {
        trie.walk(|prefix, node| {
            if !prefix.is_empty() && node.subscribers.is_empty() {
                assert!(node.children.len() >= 2, "{prefix:?}");
            }
            let firsts: Vec<u8> = node.children.iter().map(|c| c.label[0]).collect();
            assert!(firsts.windows(2).all(|w| w[0] < w[1]), "{prefix:?}");
        });
    }

    /// Random subscribes and cancels over a small alphabet, so prefixes
    /// share and nest, checked against a plain map.
    #[test]
    fn the_tree_answers_as_a_map_of_prefixes_would() {
        use std::collections::BTreeMap;
        let mut trie = Trie::counted();
        let mut model: BTreeMap<(Vec<u8>, PipeId), u32> = BTreeMap::new();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..20_000 {
            let len = next(6) as usize;
            let prefix: Vec<u8> = (0..len).map(|_| b"ab"[next(2) as usize]).collect();
            let who = next(3) as PipeId;
            let has =
                |m: &BTreeMap<(Vec<u8>, PipeId), u32>, p: &Vec<u8>| m.keys().any(|(q, _)| q == p);
            if next(3) == 0 {
                let change = trie.remove(&prefix, who);
                let expected = match model.get(&(prefix.clone(), who)).copied() {
                    None => Change::None,
                    Some(count) if count > 1 => Change::None,
                    Some(_) => {
                        model.remove(&(prefix.clone(), who));
                        if has(&model, &prefix) {
                            Change::Subscriber
                        } else {
                            Change::Prefix
                        }
                    }
                };
                if let Some(count) = model.get_mut(&(prefix.clone(), who)) {
                    *count -= 1;
                }
                assert_eq!(change, expected, "remove {prefix:?} {who}");
            } else {
                let fresh = !has(&model, &prefix);
                let change = trie.add(&prefix, who);
                let count = model.entry((prefix.clone(), who)).or_insert(0);
                *count += 1;
                let expected = match (fresh, *count) {
                    (true, _) => Change::Prefix,
                    (false, 1) => Change::Subscriber,
                    _ => Change::None,
                };
                assert_eq!(change, expected, "add {prefix:?} {who}");
            }
            check_shape(&trie);
            let topic: Vec<u8> = (0..6).map(|_| b"ab"[next(2) as usize]).collect();
            let mut want: Vec<PipeId> = model
                .keys()
                .filter(|(p, _)| topic.starts_with(p))
                .map(|(_, who)| *who)
                .collect();
            want.sort_unstable();
            want.dedup();
            assert_eq!(matching(&trie, &topic), want, "{topic:?}");
        }
        let mut prefixes = Vec::new();
        trie.each_prefix(|p| prefixes.push(p.to_vec()));
        let mut want: Vec<Vec<u8>> = model.keys().map(|(p, _)| p.clone()).collect();
        want.dedup();
        assert_eq!(prefixes, want);
    }

    /// A peer's topics as long or as nested as it likes cost heap, never
    /// stack: a megabyte-long prefix, and two thousand prefixes each one
    /// byte longer than the last, are added, matched, cancelled by the
    /// subscriber leaving, and dropped (a recursive trie overflows here).
    #[test]
    fn deep_and_long_prefixes_never_recurse() {
        let mut trie = Trie::default();
        let long = vec![b'x'; 1 << 20];
        trie.add(&long, 1);
        let depth = 2_000;
        let chain = vec![b'y'; depth];
        for len in 1..=depth {
            trie.add(&chain[..len], 2);
        }
        assert_eq!(matching(&trie, &long), [1]);
        let mut count = 0;
        trie.matches(&chain, |_| count += 1);
        assert_eq!(count, depth);
        let mut gone = 0;
        trie.remove_all(1, |_| gone += 1);
        assert_eq!(gone, 1);
        assert_eq!(trie.remove(&chain[..depth / 2], 2), Change::Prefix);
        let mut left = 0;
        trie.each_prefix(|_| left += 1);
        assert_eq!(left, depth - 1);
        drop(trie);
    }
}
