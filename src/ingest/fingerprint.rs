//! What a file's account gathers while reading to tell, with its spans, a
//! copy of an earlier file (see `dedup.rs`): the record id range of each
//! computer and channel.

/// The lowest and highest record id per computer and channel of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint(Vec<(String, String, u64, u64)>);

impl Fingerprint {
    /// Takes one record into account.
    pub(crate) fn add(&mut self, computer: &str, channel: &str, record_id: u64) {
        self.add_with(
            |c, ch| c == computer && ch == channel,
            || (computer.to_string(), channel.to_string()),
            record_id,
        );
    }

    /// Takes one record into account: `same` finds its computer and channel,
    /// `name` names them when they are new.
    pub(crate) fn add_with(
        &mut self,
        same: impl Fn(&str, &str) -> bool,
        name: impl FnOnce() -> (String, String),
        record_id: u64,
    ) {
        match self.0.iter_mut().find(|(c, ch, _, _)| same(c, ch)) {
            Some((_, _, lo, hi)) => {
                *lo = (*lo).min(record_id);
                *hi = (*hi).max(record_id);
            }
            None => {
                let (computer, channel) = name();
                self.0.push((computer, channel, record_id, record_id));
            }
        }
    }

    /// Joins the ranges of another part of the same file.
    pub(crate) fn merge(&mut self, other: Fingerprint) {
        for (c, ch, lo, hi) in other.0 {
            self.add(&c, &ch, lo);
            self.add(&c, &ch, hi);
        }
    }

    /// The lowest and highest record id of `computer`'s `channel`.
    pub(crate) fn range(&self, computer: &str, channel: &str) -> Option<(u64, u64)> {
        self.0
            .iter()
            .find(|(c, ch, _, _)| c == computer && ch == channel)
            .map(|(_, _, lo, hi)| (*lo, *hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_grow_per_computer_and_channel() {
        let mut print = Fingerprint::default();
        print.add("H", "System", 7);
        print.add("H", "System", 3);
        let mut other = Fingerprint::default();
        other.add("H", "Security", 9);
        other.add("H", "System", 12);
        print.merge(other);
        assert_eq!(print.range("H", "System"), Some((3, 12)));
        assert_eq!(print.range("H", "Security"), Some((9, 9)));
        assert_eq!(print.range("G", "System"), None);
    }
}
