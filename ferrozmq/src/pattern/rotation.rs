//! The turn order that fair-queuing and load-balancing share: the pipes
//! that may serve now, taken in turn.

use crate::pipe::PipeId;

/// Pipes in turn order. A pipe that cannot serve when its turn comes
/// leaves the rotation until it is activated again.
#[derive(Debug, Default)]
pub(crate) struct Rotation {
    active: Vec<PipeId>,
    next: usize,
}

impl Rotation {
    /// A pipe joins the rotation (if it is not in it already), last.
    pub(crate) fn activate(&mut self, id: PipeId) {
        if !self.active.contains(&id) {
            self.active.push(id);
        }
    }

    /// Whether no pipe is in the rotation.
    pub(crate) fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    /// A pipe leaves the rotation.
    pub(crate) fn remove(&mut self, id: PipeId) {
        if let Some(i) = self.active.iter().position(|&p| p == id) {
            self.active.remove(i);
            if i < self.next {
                self.next -= 1;
            }
            if self.next >= self.active.len() {
                self.next = 0;
            }
        }
    }

    /// Offers `value` to the pipes in turn, starting with the one whose
    /// turn it is: `serve` either succeeds with that pipe (the turn moves
    /// past it) or gives `value` back (the pipe leaves the rotation, the
    /// next one is asked). Gives `value` back when no pipe served.
    pub(crate) fn offer<V, T>(
        &mut self,
        mut value: V,
        mut serve: impl FnMut(PipeId, V) -> Result<T, V>,
    ) -> Result<T, V> {
        while !self.active.is_empty() {
            let i = if self.next < self.active.len() {
                self.next
            } else {
                0
            };
            match serve(self.active[i], value) {
                Ok(served) => {
                    self.next = i + 1;
                    return Ok(served);
                }
                Err(back) => {
                    value = back;
                    self.active.remove(i);
                    self.next = i;
                }
            }
        }
        self.next = 0;
        Err(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Turns go round; a pipe that cannot serve drops out, one removed
    /// before the turn does not shift it.
    #[test]
    fn turns_go_round_and_skip_who_cannot_serve() {
        let ids: [PipeId; 4] = [10, 11, 12, 13];
        let mut r = Rotation::default();
        for &id in &ids {
            r.activate(id);
        }
        r.activate(ids[0]);
        let first = |r: &mut Rotation| r.offer((), |id, ()| Ok::<_, ()>(id)).unwrap();
        assert_eq!(first(&mut r), ids[0]);
        assert_eq!(
            r.offer((), |id, ()| if id == ids[1] { Err(()) } else { Ok(id) }),
            Ok(ids[2])
        );
        r.remove(ids[0]);
        assert_eq!(first(&mut r), ids[3]);
        assert_eq!(first(&mut r), ids[2], "ids[1] left, ids[0] was removed");
        assert_eq!(r.offer(7, |_, v| Err::<(), _>(v)), Err(7));
        assert_eq!(r.offer((), |id, ()| Ok::<_, ()>(id)), Err(()), "all left");
    }
}
