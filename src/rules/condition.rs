//! Sigma conditions: `sel and not (filter1 or 1 of filter_*)`, parsed once into a
//! tree over the rule's search identifiers.

use super::error::RuleError;

/// Parentheses and `not`s may nest this deep.
const MAX_NESTING: usize = 64;
/// Conditions longer than this are refused.
const MAX_LEN: usize = 8192;

/// A parsed condition, identifiers resolved to indexes into the rule's searches.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    Search(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    /// At least `n` of the searches match (`1 of x*` is `AtLeast(1, ..)`).
    AtLeast(usize, Vec<usize>),
}

impl Cond {
    /// Evaluates the condition given a test for each search.
    pub fn eval(&self, search: &dyn Fn(usize) -> bool) -> bool {
        self.truth(&|i| Some(search(i))) == Some(true)
    }

    /// Evaluates the condition in three-valued logic: a search may be unknown (`None`), and
    /// so may the result (`not` unknown is unknown, `false and` unknown is false, `true or`
    /// unknown is true).
    pub fn truth(&self, search: &dyn Fn(usize) -> Option<bool>) -> Option<bool> {
        match self {
            Cond::Search(i) => search(*i),
            Cond::Not(c) => c.truth(search).map(|b| !b),
            Cond::And(cs) => all(cs.iter().map(|c| c.truth(search))),
            Cond::Or(cs) => any(cs.iter().map(|c| c.truth(search))),
            Cond::AtLeast(n, ids) => {
                let (mut hits, mut unknown) = (0, 0);
                for i in ids {
                    match search(*i) {
                        Some(true) => hits += 1,
                        Some(false) => {}
                        None => unknown += 1,
                    }
                    if hits >= *n {
                        return Some(true);
                    }
                }
                (hits + unknown < *n).then_some(false)
            }
        }
    }
}

/// Three-valued AND: false as soon as one is false, else unknown if one is unknown.
pub(crate) fn all(items: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    any(items.map(|i| i.map(|b| !b))).map(|b| !b)
}

/// Three-valued OR: true as soon as one is true, else unknown if one is unknown.
pub(crate) fn any(items: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut known = true;
    for item in items {
        match item {
            Some(true) => return Some(true),
            Some(false) => {}
            None => known = false,
        }
    }
    known.then_some(false)
}

/// A condition error and the character offset in the condition it concerns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CondError {
    pub offset: usize,
    pub error: RuleError,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Num(usize),
    Open,
    Close,
}

fn lex(text: &str) -> Result<Vec<(usize, Tok)>, CondError> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let col = text[..at].chars().count();
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push((col, Tok::Open));
                i += 1;
            }
            ')' => {
                out.push((col, Tok::Close));
                i += 1;
            }
            '|' => {
                return Err(CondError {
                    offset: col,
                    error: RuleError::Unsupported(
                        "aggregation (`| count() ...`) in the condition is deprecated Sigma and not evaluated".into(),
                    ),
                });
            }
            c if c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.') => {
                let start = i;
                while i < chars.len()
                    && (chars[i].1.is_alphanumeric() || matches!(chars[i].1, '_' | '*' | '-' | '.'))
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().map(|(_, c)| c).collect();
                let tok = match word.parse::<usize>() {
                    Ok(n) => Tok::Num(n),
                    Err(_) => Tok::Word(word),
                };
                out.push((col, tok));
            }
            other => {
                return Err(CondError {
                    offset: col,
                    error: RuleError::BadCondition(format!("unexpected character `{other}`")),
                });
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
    names: &'a [String],
    depth: usize,
}

/// Parses `text` against the rule's search identifier `names`.
pub(crate) fn parse(text: &str, names: &[String]) -> Result<Cond, CondError> {
    if text.len() > MAX_LEN {
        return Err(CondError {
            offset: 0,
            error: RuleError::BadCondition(format!("longer than {MAX_LEN} characters")),
        });
    }
    let toks = lex(text)?;
    let end = text.chars().count();
    let mut p = Parser {
        toks,
        pos: 0,
        end,
        names,
        depth: 0,
    };
    if p.toks.is_empty() {
        return Err(p.error(0, "empty condition"));
    }
    let cond = p.or()?;
    match p.toks.get(p.pos) {
        None => Ok(cond),
        Some((at, t)) => Err(p.error(*at, &format!("unexpected {}", describe(t)))),
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("`{w}`"),
        Tok::Num(n) => format!("`{n}`"),
        Tok::Open => "`(`".into(),
        Tok::Close => "`)`".into(),
    }
}

impl Parser<'_> {
    fn error(&self, offset: usize, msg: &str) -> CondError {
        CondError {
            offset,
            error: RuleError::BadCondition(msg.to_string()),
        }
    }

    fn peek_word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.pos), Some((_, Tok::Word(x))) if x.eq_ignore_ascii_case(w))
    }

    fn here(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(at, _)| *at)
    }

    fn or(&mut self) -> Result<Cond, CondError> {
        let mut parts = vec![self.and()?];
        while self.peek_word("or") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Cond, CondError> {
        let mut parts = vec![self.not()?];
        while self.peek_word("and") {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::And(parts)
        })
    }

    fn not(&mut self) -> Result<Cond, CondError> {
        if self.peek_word("not") {
            self.pos += 1;
            self.depth += 1;
            if self.depth > MAX_NESTING {
                return Err(self.error(
                    self.here(),
                    &format!("nested more than {MAX_NESTING} levels"),
                ));
            }
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Cond::Not(Box::new(inner)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Cond, CondError> {
        let at = self.here();
        let Some((_, tok)) = self.toks.get(self.pos).cloned() else {
            return Err(self.error(at, "ends where an identifier or `(` is expected"));
        };
        self.pos += 1;
        match tok {
            Tok::Open => {
                self.depth += 1;
                if self.depth > MAX_NESTING {
                    return Err(self.error(at, &format!("nested more than {MAX_NESTING} levels")));
                }
                let inner = self.or()?;
                match self.toks.get(self.pos) {
                    Some((_, Tok::Close)) => self.pos += 1,
                    _ => return Err(self.error(self.here(), "missing `)`")),
                }
                self.depth -= 1;
                Ok(inner)
            }
            Tok::Num(n) => self.quantified(at, Some(n)),
            Tok::Word(w) if w.eq_ignore_ascii_case("all") && self.peek_word("of") => {
                self.quantified(at, None)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("any") && self.peek_word("of") => {
                self.quantified(at, Some(1))
            }
            Tok::Word(w)
                if ["and", "or", "not", "of", "them"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                Err(self.error(at, &format!("unexpected `{w}`")))
            }
            Tok::Word(w) => match self.names.iter().position(|n| *n == w) {
                Some(i) => Ok(Cond::Search(i)),
                None if w.contains('*') => {
                    Err(self.error(at, &format!("`{w}` needs `1 of` or `all of` before it")))
                }
                None => Err(CondError {
                    offset: at,
                    error: RuleError::UnknownIdentifier(w),
                }),
            },
            other => Err(self.error(at, &format!("unexpected {}", describe(&other)))),
        }
    }

    /// `N of x`, `all of x` (count `None`), after the count.
    fn quantified(&mut self, at: usize, count: Option<usize>) -> Result<Cond, CondError> {
        if !self.peek_word("of") {
            return Err(self.error(self.here(), "expected `of` after a count"));
        }
        self.pos += 1;
        let target_at = self.here();
        let Some((_, Tok::Word(target))) = self.toks.get(self.pos).cloned() else {
            return Err(self.error(
                target_at,
                "expected `them` or an identifier pattern after `of`",
            ));
        };
        self.pos += 1;
        let ids: Vec<usize> = if target.eq_ignore_ascii_case("them") {
            (0..self.names.len())
                .filter(|&i| !self.names[i].starts_with('_'))
                .collect()
        } else {
            (0..self.names.len())
                .filter(|&i| glob(&target, &self.names[i]))
                .collect()
        };
        if ids.is_empty() {
            return Err(CondError {
                offset: target_at,
                error: RuleError::EmptyPattern(target),
            });
        }
        match count {
            None => Ok(Cond::And(ids.into_iter().map(Cond::Search).collect())),
            Some(0) => Err(self.error(at, "`0 of` is never useful; use `not`")),
            Some(1) => Ok(Cond::Or(ids.into_iter().map(Cond::Search).collect())),
            Some(n) => Ok(Cond::AtLeast(n, ids)),
        }
    }
}

/// `*`-only glob match of an identifier.
fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["sel", "sel_a", "sel_b", "filter", "_hidden"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn unknown_searches_follow_three_valued_logic() {
        // sel known true, sel_a unknown, sel_b known false, filter unknown.
        let search = |i: usize| [Some(true), None, Some(false), None, None][i];
        let truth = |c: &str| parse(c, &names()).expect("parses").truth(&search);
        assert_eq!(truth("sel and sel_a"), None);
        assert_eq!(truth("sel_b and sel_a"), Some(false));
        assert_eq!(truth("sel or sel_a"), Some(true));
        assert_eq!(truth("sel_b or sel_a"), None);
        assert_eq!(truth("not sel_a"), None);
        assert_eq!(truth("not sel_b"), Some(true));
        assert_eq!(truth("1 of sel*"), Some(true));
        assert_eq!(truth("all of sel*"), Some(false));
        assert_eq!(truth("all of them"), Some(false));
        assert_eq!(truth("sel and not filter"), None);
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let c = parse("sel or sel_a and not filter", &names()).expect("parses");
        assert_eq!(
            c,
            Cond::Or(vec![
                Cond::Search(0),
                Cond::And(vec![Cond::Search(1), Cond::Not(Box::new(Cond::Search(3)))])
            ])
        );
    }

    #[test]
    fn quantifiers_resolve_patterns() {
        assert_eq!(
            parse("1 of sel_*", &names()),
            Ok(Cond::Or(vec![Cond::Search(1), Cond::Search(2)]))
        );
        let them = parse("all of them", &names()).expect("parses");
        assert_eq!(them, Cond::And((0..4).map(Cond::Search).collect()));
        assert!(glob("s*l*b", "sel_b"));
        assert!(!glob("s*l*c", "sel_b"));
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        let e = parse("sel and nope", &names()).expect_err("unknown");
        assert_eq!(e.offset, 8);
        assert_eq!(e.error, RuleError::UnknownIdentifier("nope".into()));
        let e = parse("(sel", &names()).expect_err("unclosed");
        assert_eq!(e.offset, 4);
        let e = parse("1 of x*", &names()).expect_err("empty");
        assert_eq!(e.error, RuleError::EmptyPattern("x*".into()));
        let deep = "(".repeat(100) + "sel" + &")".repeat(100);
        assert!(parse(&deep, &names()).is_err());
    }
}
