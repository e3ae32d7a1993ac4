//! Pathname expansion (ash's expmeta(), POSIX fnmatch without flags
//! beyond "a leading dot must be matched explicitly"): `*`, `?`,
//! `[abc]`, `[a-z]`, `[!x]`. Patterns carry quoted characters escaped
//! with `\`, so `"*"` stays literal.

use alloc::string::String;
use alloc::vec::Vec;

/// Whether `pat` has an unescaped `*`, `?` or `[`.
pub fn has_meta(pat: &str) -> bool {
    let mut esc = false;
    for c in pat.chars() {
        match c {
            _ if esc => esc = false,
            '\\' => esc = true,
            '*' | '?' | '[' => return true,
            _ => {}
        }
    }
    false
}

/// Removes the escaping backslashes.
pub fn unescape(pat: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for c in pat.chars() {
        if !esc && c == '\\' {
            esc = true;
            continue;
        }
        esc = false;
        out.push(c);
    }
    out
}

/// fnmatch(pat, name) for one path component.
pub fn matches(pat: &[char], name: &[char]) -> bool {
    if name.first() == Some(&'.') && pat.first() != Some(&'.') {
        // `*` and `?` never match a leading dot (hidden files).
        if !(pat.len() >= 2 && pat[0] == '\\' && pat[1] == '.') {
            return false;
        }
    }
    fnmatch(pat, name)
}

fn fnmatch(pat: &[char], name: &[char]) -> bool {
    let Some(&p) = pat.first() else {
        return name.is_empty();
    };
    match p {
        '*' => (0..=name.len()).any(|k| fnmatch(&pat[1..], &name[k..])),
        '?' => !name.is_empty() && fnmatch(&pat[1..], &name[1..]),
        '[' => match bracket(&pat[1..], name.first().copied()) {
            Some((ok, used)) => ok && fnmatch(&pat[1 + used..], &name[1..]),
            // An unclosed `[` is an ordinary character.
            None => name.first() == Some(&'[') && fnmatch(&pat[1..], &name[1..]),
        },
        '\\' if pat.len() > 1 => name.first() == Some(&pat[1]) && fnmatch(&pat[2..], &name[1..]),
        c => name.first() == Some(&c) && fnmatch(&pat[1..], &name[1..]),
    }
}

/// Matches `c` against a bracket expression after its `[`; returns the
/// result and how many pattern chars it used (through `]`).
fn bracket(pat: &[char], c: Option<char>) -> Option<(bool, usize)> {
    let c = c?;
    let mut i = 0;
    let negate = matches!(pat.first(), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    loop {
        let lo = *pat.get(i)?;
        if lo == ']' && !first {
            return Some((found != negate, i + 1));
        }
        first = false;
        let lo = if lo == '\\' {
            i += 1;
            *pat.get(i)?
        } else {
            lo
        };
        if pat.get(i + 1) == Some(&'-') && pat.get(i + 2).is_some_and(|&h| h != ']') {
            let hi = pat[i + 2];
            found |= lo <= c && c <= hi;
            i += 3;
        } else {
            found |= lo == c;
            i += 1;
        }
    }
}

/// Expands `pat` (absolute or relative to `cwd`) with `read_dir`;
/// returns the sorted matches spelled as the pattern was (relative stays
/// relative), or nothing when none match.
pub fn expand(
    pat: &str,
    cwd: &str,
    read_dir: &mut dyn FnMut(&str) -> Option<Vec<String>>,
) -> Vec<String> {
    let absolute = pat.starts_with('/');
    // (spelling as the user wrote it, absolute path)
    let mut cur: Vec<(String, String)> = Vec::new();
    cur.push(if absolute {
        ("/".into(), "/".into())
    } else {
        (String::new(), cwd.into())
    });
    let comps: Vec<&str> = pat.split('/').filter(|c| !c.is_empty()).collect();
    let trailing_slash = pat.ends_with('/');
    for comp in &comps {
        let mut next = Vec::new();
        for (spelled, abs) in &cur {
            let spell = |base: &str, name: &str| -> String {
                if base.is_empty() {
                    name.into()
                } else if base.ends_with('/') {
                    alloc::format!("{base}{name}")
                } else {
                    alloc::format!("{base}/{name}")
                }
            };
            let Some(names) = read_dir(abs) else { continue };
            if has_meta(comp) {
                let pc: Vec<char> = comp.chars().collect();
                for n in names {
                    let nc: Vec<char> = n.chars().collect();
                    if matches(&pc, &nc) {
                        next.push((spell(spelled, &n), child(abs, &n)));
                    }
                }
            } else {
                let lit = unescape(comp);
                // `.` and `..` are not listed but always exist.
                if lit == "." || lit == ".." || names.contains(&lit) {
                    next.push((spell(spelled, &lit), child(abs, &lit)));
                }
            }
        }
        cur = next;
    }
    if trailing_slash {
        // `*/` matches directories only.
        cur.retain(|(_, abs)| read_dir(abs).is_some());
    }
    let mut out: Vec<String> = cur
        .into_iter()
        .map(|(s, _)| {
            if trailing_slash {
                alloc::format!("{s}/")
            } else {
                s
            }
        })
        .collect();
    out.sort();
    out
}

/// The normalised absolute path of `name` inside directory `dir`.
fn child(dir: &str, name: &str) -> String {
    match name {
        "." => dir.into(),
        ".." => match dir.rfind('/') {
            Some(0) | None => "/".into(),
            Some(i) => dir[..i].into(),
        },
        n if dir == "/" => alloc::format!("/{n}"),
        n => alloc::format!("{dir}/{n}"),
    }
}
