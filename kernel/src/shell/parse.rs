//! Lexer and parser: the part of busybox ash's `parser.c`-equivalent
//! (`readtoken`, `list`, `andor`, `command`, `simplecmd` in shell/ash.c)
//! that the scenario subset needs. Input is a whole buffer of complete
//! lines; running out of input inside a construct is reported as
//! `ParseError::Incomplete` so the caller can ask for another line.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Why a buffer did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The input ended inside a construct: more lines are needed.
    Incomplete,
    /// A real syntax error; the text is what follows "sh: ".
    Syntax(String),
}

type PResult<T> = Result<T, ParseError>;

/// One piece of a word, after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text; `quoted` protects it from field splitting and keeps
    /// an empty `""` a field of its own.
    Lit { text: String, quoted: bool },
    /// `$NAME`, `${NAME}`, `${#NAME}`, `${NAME:-word}`...
    Param { param: Param, quoted: bool },
    /// `$(...)` or `` `...` ``: the source text of the inner commands.
    CmdSub { src: String, quoted: bool },
    /// `$((...))`: the source text of the expression.
    Arith { src: String, quoted: bool },
}

/// A parameter expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub op: ParamOp,
}

/// The `${...}` forms supported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamOp {
    Plain,
    /// `${#NAME}`
    Length,
    /// `${NAME:-word}` (colon: also when empty) / `${NAME-word}`
    Default {
        colon: bool,
        word: Word,
    },
    /// `${NAME:=word}` / `${NAME=word}`
    Assign {
        colon: bool,
        word: Word,
    },
    /// `${NAME:+word}` / `${NAME+word}`
    Alt {
        colon: bool,
        word: Word,
    },
}

/// A shell word: its parts and the raw source text (reserved words are
/// recognised on the raw text, so a quoted `"if"` is not a keyword).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word {
    pub parts: Vec<Part>,
    pub raw: String,
}

/// Redirection operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirOp {
    /// `<`
    In,
    /// `>` (and `>|`)
    Out,
    /// `>>`
    Append,
    /// `N>&M` / `N<&M`: the target word is a fd number or `-`.
    Dup,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redir {
    pub fd: u32,
    pub op: RedirOp,
    pub target: Word,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assign {
    pub name: String,
    pub value: Word,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Simple {
        /// Line of the command's first token, relative to the input
        /// buffer (for ash's "line N:" messages).
        line: u32,
        assigns: Vec<Assign>,
        words: Vec<Word>,
        redirs: Vec<Redir>,
    },
    If {
        /// `if`/`elif` conditions with their `then` bodies.
        arms: Vec<(List, List)>,
        otherwise: Option<List>,
        redirs: Vec<Redir>,
    },
    For {
        var: String,
        /// `None`: no `in` clause (iterates over "$@", which is empty here).
        words: Option<Vec<Word>>,
        body: List,
        redirs: Vec<Redir>,
    },
    While {
        until: bool,
        cond: List,
        body: List,
        redirs: Vec<Redir>,
    },
    Group {
        body: List,
        subshell: bool,
        redirs: Vec<Redir>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    pub negate: bool,
    pub cmd: Box<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AndOrOp {
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(AndOrOp, Pipeline)>,
}

/// `a; b & c`: each and-or list with its "run in background" flag.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct List {
    pub items: Vec<(AndOr, bool)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(Word),
    /// `;` `&` `&&` `||` `|` `(` `)` `;;` and newline (as "\n").
    Op(&'static str),
    Redir {
        fd: Option<u32>,
        op: RedirOp,
    },
    Eof,
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `s` is a valid variable name.
pub fn is_name(s: &str) -> bool {
    let mut it = s.chars();
    matches!(it.next(), Some(c) if is_name_start(c)) && it.all(is_name_char)
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')'
    )
}

struct Lexer<'a> {
    s: &'a [char],
    i: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.s.get(self.i + n).copied()
    }

    /// The tokens, each with the line (from 0) it starts on.
    fn tokens(mut self) -> PResult<(Vec<Tok>, Vec<u32>)> {
        let mut out = Vec::new();
        let mut lines = Vec::new();
        let (mut line, mut counted) = (0u32, 0usize);
        loop {
            if out.len() > lines.len() {
                // The previous token is complete: record where it began.
                lines.push(line);
            }
            // Blanks and backslash-newline continuations between tokens.
            loop {
                match self.peek() {
                    Some(' ' | '\t') => self.i += 1,
                    Some('\\') if self.peek_at(1) == Some('\n') => self.continuation()?,
                    Some('\\') if self.peek_at(1).is_none() => return Err(ParseError::Incomplete),
                    Some('#') => {
                        while !matches!(self.peek(), None | Some('\n')) {
                            self.i += 1;
                        }
                    }
                    _ => break,
                }
            }
            line += self.s[counted..self.i]
                .iter()
                .filter(|&&c| c == '\n')
                .count() as u32;
            counted = self.i;
            let Some(c) = self.peek() else {
                out.push(Tok::Eof);
                lines.push(line);
                return Ok((out, lines));
            };
            let two: String = self.s[self.i..(self.i + 2).min(self.s.len())]
                .iter()
                .collect();
            let op: Option<&'static str> = match two.as_str() {
                "&&" => Some("&&"),
                "||" => Some("||"),
                ";;" => Some(";;"),
                _ => match c {
                    '\n' => Some("\n"),
                    ';' => Some(";"),
                    '&' => Some("&"),
                    '|' => Some("|"),
                    '(' => Some("("),
                    ')' => Some(")"),
                    _ => None,
                },
            };
            if let Some(op) = op {
                self.i += op.len();
                out.push(Tok::Op(op));
                continue;
            }
            if c == '<' || c == '>' {
                out.push(self.redir_op(None)?);
                continue;
            }
            // An all-digit word directly followed by < or > is a fd number.
            let mut j = self.i;
            while j < self.s.len() && self.s[j].is_ascii_digit() {
                j += 1;
            }
            if j > self.i && matches!(self.s.get(j), Some('<' | '>')) {
                let digits: String = self.s[self.i..j].iter().collect();
                let fd = digits
                    .parse::<u32>()
                    .map_err(|_| ParseError::Syntax(format!("{digits}: bad file descriptor")))?;
                self.i = j;
                out.push(self.redir_op(Some(fd))?);
                continue;
            }
            out.push(Tok::Word(self.word()?));
        }
    }

    /// At `\` newline: a line continuation, which needs the next line
    /// when the newline ends the input.
    fn continuation(&mut self) -> PResult<()> {
        self.i += 2;
        if self.i == self.s.len() {
            return Err(ParseError::Incomplete);
        }
        Ok(())
    }

    fn redir_op(&mut self, fd: Option<u32>) -> PResult<Tok> {
        let c = self.s[self.i];
        self.i += 1;
        let next = self.peek();
        let op = match (c, next) {
            ('>', Some('>')) => {
                self.i += 1;
                RedirOp::Append
            }
            ('>', Some('&')) | ('<', Some('&')) => {
                self.i += 1;
                RedirOp::Dup
            }
            ('>', Some('|')) => {
                self.i += 1;
                RedirOp::Out
            }
            ('<', Some('<')) => {
                return Err(ParseError::Syntax(
                    "here-documents (<<) are not supported".into(),
                ));
            }
            ('<', Some('>')) => {
                return Err(ParseError::Syntax("<> redirection is not supported".into()));
            }
            ('>', _) => RedirOp::Out,
            _ => RedirOp::In,
        };
        Ok(Tok::Redir { fd, op })
    }

    /// Reads one word up to an unquoted metacharacter.
    fn word(&mut self) -> PResult<Word> {
        let start = self.i;
        let mut parts = Vec::new();
        let mut lit = String::new();
        while let Some(c) = self.peek() {
            if is_meta(c) {
                break;
            }
            match c {
                '\'' => {
                    flush(&mut parts, &mut lit, false);
                    self.i += 1;
                    let mut q = String::new();
                    loop {
                        match self.peek() {
                            None => return Err(ParseError::Incomplete),
                            Some('\'') => break,
                            Some(ch) => q.push(ch),
                        }
                        self.i += 1;
                    }
                    self.i += 1;
                    parts.push(Part::Lit {
                        text: q,
                        quoted: true,
                    });
                }
                '"' => {
                    flush(&mut parts, &mut lit, false);
                    self.i += 1;
                    self.dquoted(&mut parts)?;
                }
                '\\' => {
                    self.i += 1;
                    match self.peek() {
                        None => return Err(ParseError::Incomplete),
                        Some('\n') => {
                            self.i -= 1;
                            self.continuation()?;
                        }
                        Some(ch) => {
                            flush(&mut parts, &mut lit, false);
                            parts.push(Part::Lit {
                                text: ch.to_string(),
                                quoted: true,
                            });
                            self.i += 1;
                        }
                    }
                }
                '$' => {
                    if let Some(p) = self.dollar(false)? {
                        flush(&mut parts, &mut lit, false);
                        parts.push(p);
                    } else {
                        lit.push('$');
                    }
                }
                '`' => {
                    flush(&mut parts, &mut lit, false);
                    let src = self.backquote()?;
                    parts.push(Part::CmdSub { src, quoted: false });
                }
                _ => {
                    lit.push(c);
                    self.i += 1;
                }
            }
        }
        flush(&mut parts, &mut lit, false);
        Ok(Word {
            parts,
            raw: self.s[start..self.i].iter().collect(),
        })
    }

    /// Inside "...": `$`, `` ` `` and `\` before `$ ` " \ newline` stay special.
    fn dquoted(&mut self, parts: &mut Vec<Part>) -> PResult<()> {
        let mut lit = String::new();
        // An empty "" is still a (quoted, empty) field.
        parts.push(Part::Lit {
            text: String::new(),
            quoted: true,
        });
        loop {
            let Some(c) = self.peek() else {
                return Err(ParseError::Incomplete);
            };
            match c {
                '"' => {
                    self.i += 1;
                    flush(parts, &mut lit, true);
                    return Ok(());
                }
                '\\' => {
                    self.i += 1;
                    match self.peek() {
                        None => return Err(ParseError::Incomplete),
                        Some('\n') => {
                            self.i -= 1;
                            self.continuation()?;
                        }
                        Some(ch @ ('$' | '`' | '"' | '\\')) => {
                            lit.push(ch);
                            self.i += 1;
                        }
                        Some(_) => lit.push('\\'),
                    }
                }
                '$' => {
                    if let Some(p) = self.dollar(true)? {
                        flush(parts, &mut lit, true);
                        parts.push(p);
                    } else {
                        lit.push('$');
                    }
                }
                '`' => {
                    flush(parts, &mut lit, true);
                    let src = self.backquote()?;
                    parts.push(Part::CmdSub { src, quoted: true });
                }
                _ => {
                    lit.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn backquote(&mut self) -> PResult<String> {
        self.i += 1;
        let mut src = String::new();
        loop {
            match self.peek() {
                None => return Err(ParseError::Incomplete),
                Some('`') => {
                    self.i += 1;
                    return Ok(src);
                }
                Some('\\') if matches!(self.peek_at(1), Some('`' | '\\' | '$')) => {
                    src.push(self.s[self.i + 1]);
                    self.i += 2;
                }
                Some(ch) => {
                    src.push(ch);
                    self.i += 1;
                }
            }
        }
    }

    /// At a `$`: returns the expansion, or `None` for a literal `$`.
    fn dollar(&mut self, quoted: bool) -> PResult<Option<Part>> {
        let next = self.peek_at(1);
        match next {
            Some('(') if self.peek_at(2) == Some('(') => {
                self.i += 3;
                let src = self.arith_body()?;
                Ok(Some(Part::Arith { src, quoted }))
            }
            Some('(') => {
                self.i += 2;
                let src = self.paren_body()?;
                Ok(Some(Part::CmdSub { src, quoted }))
            }
            Some('{') => {
                self.i += 2;
                let param = self.brace_param()?;
                Ok(Some(Part::Param { param, quoted }))
            }
            Some(c) if is_name_start(c) => {
                self.i += 1;
                let mut name = String::new();
                while let Some(ch) = self.peek().filter(|&ch| is_name_char(ch)) {
                    name.push(ch);
                    self.i += 1;
                }
                Ok(Some(Part::Param {
                    param: Param {
                        name,
                        op: ParamOp::Plain,
                    },
                    quoted,
                }))
            }
            Some(c @ ('?' | '$' | '!' | '#' | '@' | '*' | '-' | '0'..='9')) => {
                self.i += 2;
                Ok(Some(Part::Param {
                    param: Param {
                        name: c.to_string(),
                        op: ParamOp::Plain,
                    },
                    quoted,
                }))
            }
            _ => {
                self.i += 1;
                Ok(None)
            }
        }
    }

    /// After `$(`: the text up to the matching `)`.
    fn paren_body(&mut self) -> PResult<String> {
        let start = self.i;
        let mut depth = 0usize;
        loop {
            let Some(c) = self.peek() else {
                return Err(ParseError::Incomplete);
            };
            self.i += 1;
            match c {
                '\\' => self.i += 1,
                '\'' => {
                    while self.peek() != Some('\'') {
                        if self.peek().is_none() {
                            return Err(ParseError::Incomplete);
                        }
                        self.i += 1;
                    }
                    self.i += 1;
                }
                '"' => loop {
                    match self.peek() {
                        None => return Err(ParseError::Incomplete),
                        Some('\\') => self.i += 2,
                        Some('"') => {
                            self.i += 1;
                            break;
                        }
                        Some(_) => self.i += 1,
                    }
                },
                '(' => depth += 1,
                ')' if depth == 0 => {
                    return Ok(self.s[start..self.i - 1].iter().collect());
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
    }

    /// After `$((`: the text up to the matching `))`.
    fn arith_body(&mut self) -> PResult<String> {
        let start = self.i;
        let mut depth = 0usize;
        loop {
            let Some(c) = self.peek() else {
                return Err(ParseError::Incomplete);
            };
            self.i += 1;
            match c {
                '(' => depth += 1,
                ')' if depth > 0 => depth -= 1,
                ')' => {
                    return match self.peek() {
                        Some(')') => {
                            self.i += 1;
                            Ok(self.s[start..self.i - 2].iter().collect())
                        }
                        None => Err(ParseError::Incomplete),
                        Some(_) => Err(ParseError::Syntax(
                            "arithmetic syntax error: missing ))".into(),
                        )),
                    };
                }
                _ => {}
            }
        }
    }

    /// After `${`.
    fn brace_param(&mut self) -> PResult<Param> {
        let start = self.i;
        let mut end = start;
        let mut depth = 0usize;
        loop {
            match self.s.get(end) {
                None => return Err(ParseError::Incomplete),
                Some('{') => depth += 1,
                Some('}') if depth == 0 => break,
                Some('}') => depth -= 1,
                Some('\\') => end += 1,
                _ => {}
            }
            end += 1;
        }
        let body: String = self.s[start..end].iter().collect();
        self.i = end + 1;
        let bad = || ParseError::Syntax(format!("${{{body}}}: bad substitution"));
        if let Some(name) = body.strip_prefix('#').filter(|n| !n.is_empty()) {
            if is_name(name) || name.chars().all(|c| c.is_ascii_digit()) {
                return Ok(Param {
                    name: name.to_string(),
                    op: ParamOp::Length,
                });
            }
            return Err(bad());
        }
        let special = body
            .chars()
            .next()
            .filter(|c| matches!(c, '?' | '$' | '!' | '#' | '@' | '*' | '-') || c.is_ascii_digit());
        let name_len = if let Some(c) = special {
            c.len_utf8()
        } else {
            body.chars().take_while(|&c| is_name_char(c)).count()
        };
        let name = &body[..name_len];
        if name.is_empty() || (special.is_none() && !is_name(name)) {
            return Err(bad());
        }
        let rest = &body[name_len..];
        if rest.is_empty() {
            return Ok(Param {
                name: name.to_string(),
                op: ParamOp::Plain,
            });
        }
        let (colon, rest) = match rest.strip_prefix(':') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let mut chars = rest.chars();
        let opc = chars.next().ok_or_else(bad)?;
        let word_src: Vec<char> = chars.collect();
        let word = word_from_chars(&word_src)?;
        let op = match opc {
            '-' => ParamOp::Default { colon, word },
            '=' => ParamOp::Assign { colon, word },
            '+' => ParamOp::Alt { colon, word },
            _ => return Err(bad()),
        };
        Ok(Param {
            name: name.to_string(),
            op,
        })
    }
}

/// Lexes the operand of `${NAME:-word}` as if it were inside double
/// quotes minus the quotes, which is close to what ash does for the
/// common cases (no field splitting of the default).
fn word_from_chars(src: &[char]) -> PResult<Word> {
    let mut with_quote: Vec<char> = src.to_vec();
    with_quote.push('"');
    let mut lx = Lexer {
        s: &with_quote,
        i: 0,
    };
    let mut parts = Vec::new();
    lx.dquoted(&mut parts)?;
    Ok(Word {
        parts,
        raw: src.iter().collect(),
    })
}

fn flush(parts: &mut Vec<Part>, lit: &mut String, quoted: bool) {
    if !lit.is_empty() {
        parts.push(Part::Lit {
            text: core::mem::take(lit),
            quoted,
        });
    }
}

/// Parses a complete buffer into a list of commands.
pub fn parse(src: &str) -> PResult<List> {
    let chars: Vec<char> = src.chars().collect();
    let (toks, lines) = Lexer { s: &chars, i: 0 }.tokens()?;
    let mut p = Parser { toks, lines, i: 0 };
    let list = p.list(&[])?;
    match p.peek() {
        Tok::Eof => Ok(list),
        t => Err(unexpected(t)),
    }
}

/// Parses a command-substitution body; any incompleteness there is a
/// syntax error because its text was already closed by `)`.
pub fn parse_sub(src: &str) -> PResult<List> {
    parse(src).map_err(|e| match e {
        ParseError::Incomplete => ParseError::Syntax("unexpected end of file".into()),
        e => e,
    })
}

/// Parses a word from text (used for `$((...))` bodies, which undergo
/// parameter expansion and command substitution before evaluation).
pub fn parse_word_dq(src: &str) -> PResult<Word> {
    let chars: Vec<char> = src.chars().collect();
    word_from_chars(&chars).map_err(|e| match e {
        ParseError::Incomplete => ParseError::Syntax("unexpected end of file".into()),
        e => e,
    })
}

fn unexpected(t: &Tok) -> ParseError {
    let what = match t {
        Tok::Eof => "end of file".to_string(),
        Tok::Op("\n") => "newline".to_string(),
        Tok::Op(o) => format!("\"{o}\""),
        Tok::Word(w) => format!("\"{}\"", w.raw),
        Tok::Redir { .. } => "redirection".to_string(),
    };
    ParseError::Syntax(format!("syntax error: unexpected {what}"))
}

const RESERVED: &[&str] = &[
    "if", "then", "elif", "else", "fi", "for", "in", "do", "done", "while", "until", "{", "}", "!",
    "case", "esac",
];

struct Parser {
    toks: Vec<Tok>,
    /// The line each token starts on, relative to the buffer.
    lines: Vec<u32>,
    i: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i]
    }

    fn next(&mut self) -> Tok {
        let t = self.toks[self.i].clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn peek_keyword(&self) -> Option<&str> {
        match self.peek() {
            Tok::Word(w) if RESERVED.contains(&w.raw.as_str()) => Some(w.raw.as_str()),
            _ => None,
        }
    }

    fn eat_newlines(&mut self) {
        while self.peek() == &Tok::Op("\n") {
            self.next();
        }
    }

    /// EOF where more is required means "give me another line".
    fn fail(&self) -> ParseError {
        match self.peek() {
            Tok::Eof => ParseError::Incomplete,
            t => unexpected(t),
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> PResult<()> {
        if self.peek_keyword() == Some(kw) {
            self.next();
            Ok(())
        } else {
            Err(self.fail())
        }
    }

    /// A list ends at EOF, `)`, or one of the reserved words in `stop`.
    fn list(&mut self, stop: &[&str]) -> PResult<List> {
        let mut list = List::default();
        loop {
            self.eat_newlines();
            match self.peek() {
                Tok::Eof | Tok::Op(")") => break,
                _ => {}
            }
            if self.peek_keyword().is_some_and(|kw| stop.contains(&kw)) {
                break;
            }
            let ao = self.and_or()?;
            let (bg, separated) = match self.peek() {
                Tok::Op("&") => (true, true),
                Tok::Op(";") | Tok::Op("\n") => (false, true),
                _ => (false, false),
            };
            if separated {
                self.next();
            }
            list.items.push((ao, bg));
            // Without a separator only the end of the list may follow.
            if !separated {
                match self.peek() {
                    Tok::Eof | Tok::Op(")") => {}
                    Tok::Word(_) if self.peek_keyword().is_some_and(|k| stop.contains(&k)) => {}
                    t => return Err(unexpected(t)),
                }
            }
        }
        Ok(list)
    }

    fn and_or(&mut self) -> PResult<AndOr> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Tok::Op("&&") => AndOrOp::And,
                Tok::Op("||") => AndOrOp::Or,
                _ => break,
            };
            self.next();
            self.eat_newlines();
            rest.push((op, self.pipeline()?));
        }
        Ok(AndOr { first, rest })
    }

    fn pipeline(&mut self) -> PResult<Pipeline> {
        let mut negate = false;
        while self.peek_keyword() == Some("!") {
            self.next();
            negate = !negate;
        }
        let cmd = self.command()?;
        if self.peek() == &Tok::Op("|") {
            return Err(ParseError::Syntax("pipes (|) are not supported".into()));
        }
        Ok(Pipeline {
            negate,
            cmd: Box::new(cmd),
        })
    }

    /// A non-empty list for a compound body: ash rejects `then fi`.
    fn body(&mut self, stop: &[&str]) -> PResult<List> {
        let l = self.list(stop)?;
        if l.items.is_empty() {
            return Err(self.fail());
        }
        Ok(l)
    }

    fn command(&mut self) -> PResult<Command> {
        let mut cmd = match self.peek_keyword() {
            Some("if") => {
                self.next();
                let mut arms = Vec::new();
                let mut otherwise = None;
                loop {
                    let cond = self.body(&["then"])?;
                    self.expect_keyword("then")?;
                    let then = self.body(&["elif", "else", "fi"])?;
                    arms.push((cond, then));
                    match self.peek_keyword() {
                        Some("elif") => {
                            self.next();
                        }
                        Some("else") => {
                            self.next();
                            otherwise = Some(self.body(&["fi"])?);
                            self.expect_keyword("fi")?;
                            break;
                        }
                        Some("fi") => {
                            self.next();
                            break;
                        }
                        _ => return Err(self.fail()),
                    }
                }
                Command::If {
                    arms,
                    otherwise,
                    redirs: Vec::new(),
                }
            }
            Some(kw @ ("while" | "until")) => {
                let until = kw == "until";
                self.next();
                let cond = self.body(&["do"])?;
                self.expect_keyword("do")?;
                let body = self.body(&["done"])?;
                self.expect_keyword("done")?;
                Command::While {
                    until,
                    cond,
                    body,
                    redirs: Vec::new(),
                }
            }
            Some("for") => {
                self.next();
                let var = match self.next() {
                    Tok::Word(w) if is_name(&w.raw) => w.raw,
                    Tok::Eof => return Err(ParseError::Incomplete),
                    Tok::Word(w) => {
                        return Err(ParseError::Syntax(format!(
                            "bad for loop variable: {}",
                            w.raw
                        )));
                    }
                    t => return Err(unexpected(&t)),
                };
                self.eat_newlines();
                let words = if self.peek_keyword() == Some("in") {
                    self.next();
                    let mut ws = Vec::new();
                    while let Tok::Word(w) = self.peek() {
                        ws.push(w.clone());
                        self.next();
                    }
                    match self.peek() {
                        Tok::Op(";") | Tok::Op("\n") => {
                            self.next();
                        }
                        _ => return Err(self.fail()),
                    }
                    Some(ws)
                } else {
                    if self.peek() == &Tok::Op(";") {
                        self.next();
                    }
                    None
                };
                self.eat_newlines();
                self.expect_keyword("do")?;
                let body = self.body(&["done"])?;
                self.expect_keyword("done")?;
                Command::For {
                    var,
                    words,
                    body,
                    redirs: Vec::new(),
                }
            }
            Some("{") => {
                self.next();
                let body = self.body(&["}"])?;
                self.expect_keyword("}")?;
                Command::Group {
                    body,
                    subshell: false,
                    redirs: Vec::new(),
                }
            }
            Some("case" | "esac") => {
                return Err(ParseError::Syntax("case is not supported".into()));
            }
            Some(_) => return Err(unexpected(self.peek())),
            None if self.peek() == &Tok::Op("(") => {
                self.next();
                let body = self.list(&[])?;
                if body.items.is_empty() || self.peek() != &Tok::Op(")") {
                    return Err(self.fail());
                }
                self.next();
                Command::Group {
                    body,
                    subshell: true,
                    redirs: Vec::new(),
                }
            }
            None => return self.simple(),
        };
        // Redirections after a compound command apply to all of it.
        let mut more = Vec::new();
        while let Tok::Redir { .. } = self.peek() {
            more.push(self.redir()?);
        }
        match &mut cmd {
            Command::If { redirs, .. }
            | Command::For { redirs, .. }
            | Command::While { redirs, .. }
            | Command::Group { redirs, .. } => *redirs = more,
            Command::Simple { .. } => {}
        }
        Ok(cmd)
    }

    fn redir(&mut self) -> PResult<Redir> {
        let Tok::Redir { fd, op } = self.next() else {
            unreachable!("redir() is called on a redirection token")
        };
        let target = match self.next() {
            Tok::Word(w) => w,
            Tok::Eof => return Err(ParseError::Incomplete),
            t => return Err(unexpected(&t)),
        };
        let fd = fd.unwrap_or(if op == RedirOp::In { 0 } else { 1 });
        // `<&` defaults to fd 0 even though the token reads like `>&`.
        Ok(Redir { fd, op, target })
    }

    fn simple(&mut self) -> PResult<Command> {
        let line = self.lines[self.i];
        let mut assigns = Vec::new();
        let mut words = Vec::new();
        let mut redirs = Vec::new();
        loop {
            match self.peek() {
                Tok::Redir { .. } => redirs.push(self.redir()?),
                Tok::Word(w) => {
                    let w = w.clone();
                    if words.is_empty()
                        && let Some(a) = as_assignment(&w)
                    {
                        assigns.push(a);
                        self.next();
                        continue;
                    }
                    words.push(w);
                    self.next();
                }
                _ => break,
            }
        }
        if assigns.is_empty() && words.is_empty() && redirs.is_empty() {
            return Err(self.fail());
        }
        if self.peek() == &Tok::Op("(") {
            return Err(ParseError::Syntax("functions are not supported".into()));
        }
        Ok(Command::Simple {
            line,
            assigns,
            words,
            redirs,
        })
    }
}

/// `NAME=value` in command-prefix position.
fn as_assignment(w: &Word) -> Option<Assign> {
    let Part::Lit {
        text,
        quoted: false,
    } = w.parts.first()?
    else {
        return None;
    };
    let eq = text.find('=')?;
    let name = &text[..eq];
    if !is_name(name) {
        return None;
    }
    let mut parts = w.parts.clone();
    let rest = text[eq + 1..].to_string();
    if rest.is_empty() {
        parts.remove(0);
    } else {
        parts[0] = Part::Lit {
            text: rest,
            quoted: false,
        };
    }
    // `X=` is an empty value, not unset.
    parts.insert(
        0,
        Part::Lit {
            text: String::new(),
            quoted: true,
        },
    );
    Some(Assign {
        name: name.to_string(),
        value: Word {
            parts,
            raw: w.raw[eq + 1..].to_string(),
        },
    })
}
