//! One shared copy of each text that many records or findings repeat.
//!
//! A burst of refused connections from one scanner names the same computer,
//! channel and provider, and makes the same timeline step titles and messages,
//! cause explanations and verdicts, hundreds of thousands of times. [`Interner::get`] hands out one `Arc<str>`
//! per distinct text, so a repeated text costs a hash lookup and a counter
//! increment, not an allocation that lives as long as the analysis.

use foldhash::HashSet;
use std::sync::Arc;

/// The texts handed out so far.
#[derive(Debug, Default)]
pub(crate) struct Interner(HashSet<Arc<str>>);

impl Interner {
    /// The shared copy of `text`, made the first time it is asked for.
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_copy() {
        let mut texts = Interner::default();
        let a = texts.get("Connection refused");
        let b = texts.get(&String::from("Connection refused"));
        assert!(Arc::ptr_eq(&a, &b));
        let c = texts.get("Session dropped");
        assert_eq!(&*c, "Session dropped");
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
