//! `$((...))` evaluation, after ash's shell/math.c: signed 64-bit
//! integers with C precedence, wrapping on overflow, variables by name
//! (unset or empty is 0) and the assignment operators.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Variable access for the evaluator.
pub trait ArithVars {
    fn get(&self, name: &str) -> Option<String>;
    fn set(&mut self, name: &str, value: i64);
}

#[derive(Debug, Clone, PartialEq)]
enum T {
    Num(i64),
    Name(String),
    Op(&'static str),
}

const OPS: &[&str] = &[
    "<<=", ">>=", "**", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=",
    "%=", "&=", "|=", "^=", "+", "-", "*", "/", "%", "<", ">", "!", "~", "&", "|", "^", "(", ")",
    "?", ":", "=",
];

const SYNTAX: &str = "arithmetic syntax error";

/// Parses an integer the way ash does: decimal, 0x hex, leading-0 octal.
pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() {
        return None;
    }
    let v = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(h, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse::<u64>().ok()?
    };
    // Wrap like C's strtoull-then-cast.
    let v = v as i64;
    Some(if neg { v.wrapping_neg() } else { v })
}

fn lex(src: &str) -> Result<Vec<T>, String> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    'outer: while i < b.len() {
        let c = b[i] as char;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i] as char).is_ascii_alphanumeric() {
                i += 1;
            }
            let n = parse_int(&src[start..i]).ok_or_else(|| SYNTAX.to_string())?;
            out.push(T::Num(n));
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(T::Name(src[start..i].to_string()));
            continue;
        }
        for op in OPS {
            if src[i..].starts_with(op) {
                out.push(T::Op(op));
                i += op.len();
                continue 'outer;
            }
        }
        return Err(SYNTAX.to_string());
    }
    Ok(out)
}

/// Evaluates an arithmetic expression (already parameter-expanded).
pub fn eval(src: &str, vars: &mut dyn ArithVars) -> Result<i64, String> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return Ok(0);
    }
    let mut p = P {
        t: toks,
        i: 0,
        vars,
        skip: 0,
    };
    let v = p.assign()?;
    if p.i != p.t.len() {
        return Err(SYNTAX.to_string());
    }
    Ok(v)
}

struct P<'a> {
    t: Vec<T>,
    i: usize,
    vars: &'a mut dyn ArithVars,
    /// Nonzero while evaluating a short-circuited operand: no side effects,
    /// no division errors (as in C, the operand is not evaluated).
    skip: u32,
}

fn binop(op: &str, a: i64, b: i64) -> Result<i64, String> {
    Ok(match op {
        "*" => a.wrapping_mul(b),
        "/" | "%" if b == 0 => return Err("divide by zero".to_string()),
        "/" => a.wrapping_div(b),
        "%" => a.wrapping_rem(b),
        "+" => a.wrapping_add(b),
        "-" => a.wrapping_sub(b),
        "<<" => a.wrapping_shl(b as u32),
        ">>" => a.wrapping_shr(b as u32),
        "<" => (a < b) as i64,
        "<=" => (a <= b) as i64,
        ">" => (a > b) as i64,
        ">=" => (a >= b) as i64,
        "==" => (a == b) as i64,
        "!=" => (a != b) as i64,
        "&" => a & b,
        "^" => a ^ b,
        "|" => a | b,
        "**" => {
            if b < 0 {
                return Err("exponent less than 0".to_string());
            }
            a.wrapping_pow(b.min(u32::MAX as i64) as u32)
        }
        _ => return Err(SYNTAX.to_string()),
    })
}

/// Binary operator levels, loosest first (below `&&`/`||`, `?:`, `=`).
const LEVELS: &[&[&str]] = &[
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<", "<=", ">", ">="],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/", "%"],
];

impl P<'_> {
    fn peek_op(&self) -> Option<&'static str> {
        match self.t.get(self.i) {
            Some(T::Op(o)) => Some(o),
            _ => None,
        }
    }

    fn expect(&mut self, op: &str) -> Result<(), String> {
        if self.peek_op() == Some(op) {
            self.i += 1;
            Ok(())
        } else {
            Err(SYNTAX.to_string())
        }
    }

    fn var(&self, name: &str) -> Result<i64, String> {
        match self.vars.get(name) {
            None => Ok(0),
            Some(v) if v.trim().is_empty() => Ok(0),
            Some(v) => parse_int(&v).ok_or_else(|| SYNTAX.to_string()),
        }
    }

    fn assign(&mut self) -> Result<i64, String> {
        if let (Some(T::Name(n)), Some(T::Op(op))) = (self.t.get(self.i), self.t.get(self.i + 1)) {
            let op: &'static str = op;
            if op.ends_with('=') && !matches!(op, "==" | "!=" | "<=" | ">=") {
                let name = n.clone();
                self.i += 2;
                let rhs = self.assign()?;
                let v = if op == "=" {
                    rhs
                } else if self.skip > 0 {
                    0
                } else {
                    binop(&op[..op.len() - 1], self.var(&name)?, rhs)?
                };
                if self.skip == 0 {
                    self.vars.set(&name, v);
                }
                return Ok(v);
            }
        }
        self.ternary()
    }

    fn ternary(&mut self) -> Result<i64, String> {
        let c = self.lor()?;
        if self.peek_op() != Some("?") {
            return Ok(c);
        }
        self.i += 1;
        if c == 0 {
            self.skip += 1;
        }
        let a = self.assign();
        if c == 0 {
            self.skip -= 1;
        }
        let a = a?;
        self.expect(":")?;
        if c != 0 {
            self.skip += 1;
        }
        let b = self.assign();
        if c != 0 {
            self.skip -= 1;
        }
        let b = b?;
        Ok(if c != 0 { a } else { b })
    }

    fn lor(&mut self) -> Result<i64, String> {
        let mut v = self.land()?;
        while self.peek_op() == Some("||") {
            self.i += 1;
            let short = v != 0;
            self.skip += short as u32;
            let r = self.land();
            self.skip -= short as u32;
            v = (short || r? != 0) as i64;
        }
        Ok(v)
    }

    fn land(&mut self) -> Result<i64, String> {
        let mut v = self.level(0)?;
        while self.peek_op() == Some("&&") {
            self.i += 1;
            let short = v == 0;
            self.skip += short as u32;
            let r = self.level(0);
            self.skip -= short as u32;
            v = (!short && r? != 0) as i64;
        }
        Ok(v)
    }

    fn level(&mut self, n: usize) -> Result<i64, String> {
        if n == LEVELS.len() {
            return self.power();
        }
        let mut v = self.level(n + 1)?;
        while let Some(op) = self.peek_op().filter(|o| LEVELS[n].contains(o)) {
            self.i += 1;
            let r = self.level(n + 1)?;
            v = if self.skip > 0 { 0 } else { binop(op, v, r)? };
        }
        Ok(v)
    }

    /// `**` binds tighter than `*` and is right-associative.
    fn power(&mut self) -> Result<i64, String> {
        let base = self.unary()?;
        if self.peek_op() == Some("**") {
            self.i += 1;
            let e = self.power()?;
            return if self.skip > 0 {
                Ok(0)
            } else {
                binop("**", base, e)
            };
        }
        Ok(base)
    }

    fn unary(&mut self) -> Result<i64, String> {
        match self.peek_op() {
            Some("-") => {
                self.i += 1;
                Ok(self.unary()?.wrapping_neg())
            }
            Some("+") => {
                self.i += 1;
                self.unary()
            }
            Some("!") => {
                self.i += 1;
                Ok((self.unary()? == 0) as i64)
            }
            Some("~") => {
                self.i += 1;
                Ok(!self.unary()?)
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<i64, String> {
        match self.t.get(self.i).cloned() {
            Some(T::Num(n)) => {
                self.i += 1;
                Ok(n)
            }
            Some(T::Name(name)) => {
                self.i += 1;
                self.var(&name)
            }
            Some(T::Op("(")) => {
                self.i += 1;
                let v = self.assign()?;
                self.expect(")")?;
                Ok(v)
            }
            _ => Err(SYNTAX.to_string()),
        }
    }
}
