//! [`FanOut`]: a publisher's side of RFC 29, shared by PUB and XPUB: the
//! subscriptions of each subscriber, and each message copied to every
//! subscriber whose subscriptions match its first frame.

use std::collections::HashMap;

use bytes::Bytes;

use super::trie::{Change, Trie};
use crate::Message;
use crate::pipe::{Item, PipeId, Pipes};

/// The most a subscriber's subscriptions may weigh: their bytes, plus
/// [`PREFIX_OVERHEAD`] each. Past it, its further subscriptions are ignored
/// (a peer must not make us allocate without bound; libzmq has no limit).
pub(crate) const PEER_LIMIT: usize = 4 << 20;

/// What one prefix costs besides its bytes, about: up to two trie nodes
/// (a leaf, and one where it parts from another prefix) and its list of
/// subscribers.
const PREFIX_OVERHEAD: usize = 192;

/// A subscription change read from a subscriber.
#[derive(Debug)]
pub(crate) struct Subscription {
    pub(crate) subscribe: bool,
    pub(crate) prefix: Bytes,
    pub(crate) change: Change,
}

/// The subscribers and what each subscribed to.
#[derive(Debug, Default)]
pub(crate) struct FanOut {
    trie: Trie,
    /// Every subscriber, for `invert_matching`.
    all: Vec<PipeId>,
    invert: bool,
    /// What each subscriber's subscriptions weigh (see [`PEER_LIMIT`]).
    weight: HashMap<PipeId, usize>,
    /// Scratch for the subscribers a message goes to.
    targets: Vec<PipeId>,
}

impl FanOut {
    /// A subscriber comes (with no subscription yet).
    pub(crate) fn add(&mut self, id: PipeId) {
        if !self.all.contains(&id) {
            self.all.push(id);
        }
    }

    /// Subscriber `id` leaves; each prefix it was the last on is passed to
    /// `gone`.
    pub(crate) fn remove(&mut self, id: PipeId, gone: impl FnMut(&[u8])) {
        self.all.retain(|&p| p != id);
        self.weight.remove(&id);
        self.trie.remove_all(id, gone);
    }

    /// `invert_matching`: messages go to the subscribers none of whose
    /// subscriptions match.
    pub(crate) fn set_invert(&mut self, invert: bool) {
        self.invert = invert;
    }

    /// What `item`, read from subscriber `id`, says of its subscriptions:
    /// a SUBSCRIBE or CANCEL command, or a message whose first frame starts
    /// with 1 or 0 (how ZMTP 3.0 peers and XSUB applications subscribe).
    /// Anything else comes back as `Err`.
    pub(crate) fn apply(&mut self, id: PipeId, item: Item) -> Result<Subscription, Item> {
        let (subscribe, prefix) = parse(item)?;
        let change = self.change(id, subscribe, &prefix);
        Ok(Subscription {
            subscribe,
            prefix,
            change,
        })
    }

    /// Subscribes (or unsubscribes) `id` to `prefix`, within its limit.
    pub(crate) fn change(&mut self, id: PipeId, subscribe: bool, prefix: &[u8]) -> Change {
        let cost = prefix.len() + PREFIX_OVERHEAD;
        let weight = self.weight.entry(id).or_default();
        if !subscribe {
            let change = self.trie.remove(prefix, id);
            if change != Change::None {
                *weight = weight.saturating_sub(cost);
            }
            change
        } else if *weight + cost > PEER_LIMIT {
            Change::None
        } else {
            let change = self.trie.add(prefix, id);
            if change != Change::None {
                *weight += cost;
            }
            change
        }
    }

    /// RFC 29: "SHALL send a message to all subscribers whose
    /// subscriptions match it" ("a subscription matches a message when it
    /// is a prefix of its first frame"); a subscriber whose pipe is full
    /// misses the message ("SHALL silently drop the message"), the others
    /// get it whole. Inverted, it goes to the others.
    pub(crate) fn send(&mut self, msg: Message, pipes: &mut Pipes) {
        let topic = msg.first().cloned().unwrap_or_default();
        let targets = &mut self.targets;
        self.trie.matches(&topic, |id| targets.push(id));
        targets.sort_unstable();
        targets.dedup();
        if self.invert {
            let matched = std::mem::take(targets);
            targets.extend(
                self.all
                    .iter()
                    .filter(|id| matched.binary_search(id).is_err()),
            );
        }
        if let Some((&last, rest)) = self.targets.split_last() {
            for &id in rest {
                pipes.write(id, msg.clone());
            }
            pipes.write(last, msg);
        }
        self.targets.clear();
    }
}

/// What `item` says of subscriptions (see [`FanOut::apply`]): subscribe
/// or not, and the prefix; anything else comes back as `Err`.
pub(crate) fn parse(item: Item) -> Result<(bool, Bytes), Item> {
    match item {
        Item::Subscribe(prefix) => Ok((true, prefix)),
        Item::Cancel(prefix) => Ok((false, prefix)),
        Item::Message(msg) => match msg.first().and_then(|f| f.first()) {
            Some(&flag @ (0 | 1)) => Ok((flag == 1, msg.parts()[0].slice(1..))),
            _ => Err(Item::Message(msg)),
        },
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A subscriber that keeps subscribing to new prefixes is cut off at
    /// its limit: later ones are ignored, and cancelling makes room again.
    #[test]
    fn a_subscribers_subscriptions_are_bounded() {
        let mut fan_out = FanOut::default();
        fan_out.add(1);
        let prefix = |n: usize| Bytes::from(format!("{n:0>1000}"));
        let fits = PEER_LIMIT / (1000 + PREFIX_OVERHEAD);
        for n in 0..fits {
            let s = fan_out.apply(1, Item::Subscribe(prefix(n))).unwrap();
            assert_eq!(s.change, Change::Prefix, "{n}");
        }
        let over = fan_out.apply(1, Item::Subscribe(prefix(fits))).unwrap();
        assert_eq!(over.change, Change::None, "past the limit: ignored");
        assert!(!fan_out.trie.has_match(&prefix(fits)));
        fan_out.apply(1, Item::Cancel(prefix(0))).unwrap();
        let now = fan_out.apply(1, Item::Subscribe(prefix(fits))).unwrap();
        assert_eq!(now.change, Change::Prefix, "room again");
    }
}
