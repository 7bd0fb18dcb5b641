//! Case-insensitive substring search for the panes' filters, run over every
//! row on every keystroke: no allocation per haystack, and a `memchr` scan
//! for the needle's first byte instead of a case-insensitive regex (which
//! turns a short literal into many case variants and is slow on short
//! haystacks).
//!
//! ASCII needles compare ASCII case-insensitively; a needle with other
//! characters falls back to a Unicode case-insensitive regex of the literal.

use regex::{Regex, RegexBuilder};

/// A literal to look for, in any case.
#[derive(Clone, Debug)]
pub struct Needle {
    lower: Box<[u8]>,
    unicode: Option<Regex>,
}

impl Needle {
    pub fn new(text: &str) -> Needle {
        let unicode = if text.is_ascii() {
            None
        } else {
            RegexBuilder::new(&regex::escape(text))
                .case_insensitive(true)
                .build()
                .ok()
        };
        Needle {
            lower: text.to_ascii_lowercase().into_bytes().into_boxed_slice(),
            unicode,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lower.is_empty()
    }

    /// Does `hay` contain the needle, in any case?
    pub fn is_match(&self, hay: &str) -> bool {
        match &self.unicode {
            Some(re) => re.is_match(hay),
            None => contains_ascii_ci(hay.as_bytes(), &self.lower),
        }
    }
}

/// `hay` contains `needle` (already lower case), ignoring ASCII case.
fn contains_ascii_ci(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    if hay.len() < needle.len() {
        return false;
    }
    let upper = first.to_ascii_uppercase();
    let starts = &hay[..=hay.len() - needle.len()];
    let at = |i: usize| hay[i..i + needle.len()].eq_ignore_ascii_case(needle);
    if starts.len() < 64 {
        // Addresses, ids: a plain loop beats setting up a vector search.
        starts
            .iter()
            .enumerate()
            .any(|(i, &b)| (b == first || b == upper) && at(i))
    } else {
        memchr::memchr2_iter(first, upper, starts).any(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn any_case_anywhere() {
        let n = Needle::new("SES");
        assert!(n.is_match("454 Throttling failure (ses)"));
        assert!(n.is_match("Ses"));
        assert!(!n.is_match("SE"));
        assert!(!n.is_match(""));
        assert!(Needle::new("").is_match("anything"));
        assert!(Needle::new("@example.com").is_match("Root@EXAMPLE.com"));
        assert!(Needle::new("4.2.2").is_match("dsn=4.2.2,"));
        assert!(!Needle::new("4.2.2").is_match("dsn=4.2.,"));
    }

    #[test]
    fn non_ascii_needles_fold_unicode_case() {
        let n = Needle::new("Größe");
        assert!(n.is_match("MAXIMALE GRÖSSE") || n.is_match("maximale größe"));
        assert!(n.is_match("die GRÖßE"));
        assert!(!n.is_match("grosse"));
    }

    proptest! {
        #[test]
        fn agrees_with_lowercasing(hay in "[a-zA-Z0-9 @.<>-]{0,200}", needle in "[a-zA-Z0-9@.]{0,4}") {
            let expected = hay.to_ascii_lowercase().contains(&needle.to_ascii_lowercase());
            prop_assert_eq!(Needle::new(&needle).is_match(&hay), expected);
        }

        #[test]
        fn finds_it_in_any_case_at_any_place(
            pre in "[a-z0-9 .]{0,120}",
            needle in "[a-z0-9@.]{1,6}",
            post in "[a-z0-9 .]{0,120}",
            flips in proptest::collection::vec(any::<bool>(), 6),
        ) {
            let mangled: String = needle
                .chars()
                .zip(flips.iter().cycle())
                .map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c })
                .collect();
            let hay = format!("{pre}{mangled}{post}");
            prop_assert!(Needle::new(&needle).is_match(&hay));
            prop_assert!(Needle::new(&mangled).is_match(&hay.to_ascii_lowercase()));
        }

        #[test]
        fn never_panics_on_any_text(hay in any::<String>(), needle in any::<String>()) {
            let _ = Needle::new(&needle).is_match(&hay);
        }
    }
}
