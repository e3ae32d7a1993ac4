//! The kernel command line; mirrors kernel/params.c (`next_arg`,
//! `parse_args`) and the handlers init/main.c gives it: `init=`,
//! `rdinit=`, `quiet`, `loglevel=` and `console=` are the kernel's, and
//! everything else goes to init as Linux's `unknown_bootoption` sends it
//! (`a=b` into its environment, replacing an earlier `a=`; a bare word
//! into its arguments; a name with a dot is an unused module parameter
//! and is dropped); after `--`, every word is init's argument
//! (`set_init_arg`). More than [`MAX_INIT_ARGS`] or [`MAX_INIT_ENVS`]
//! make Linux's "Too many boot ... vars" panic once init would start.
//!
//! Left out: module and sysctl parameters, the `__setup` table beyond
//! the five names above (`console=` has one choice here: ttyS0 is the
//! only console).

use alloc::string::String;
use alloc::vec::Vec;

/// `CONFIG_INIT_ENV_ARG_LIMIT`: `MAX_INIT_ARGS` and `MAX_INIT_ENVS`.
pub const MAX_INIT_ARGS: usize = 32;
pub const MAX_INIT_ENVS: usize = 32;
/// `CONSOLE_LOGLEVEL_QUIET` (Kconfig's default).
pub const CONSOLE_LOGLEVEL_QUIET: i32 = 4;

/// What the command line sets up for init (init/main.c's statics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitParams {
    /// `ramdisk_execute_command` (`rdinit=`; "/init" by default).
    pub ramdisk_execute_command: String,
    /// `execute_command` (`init=`).
    pub execute_command: Option<String>,
    /// `argv_init` after argv[0], which is the init's own name.
    pub argv: Vec<String>,
    /// `envp_init`: "HOME=/", "TERM=linux", then the command line's.
    pub envp: Vec<String>,
    /// `console_loglevel` from `quiet` or `loglevel=`.
    pub console_loglevel: Option<i32>,
    /// `panic_later` and `panic_param`: ("env" or "init", the parameter).
    pub panic_later: Option<(&'static str, String)>,
    /// `prof_shift` when `profile=N` turned CPU profiling on
    /// (task/profile.rs).
    pub prof_shift: Option<u32>,
}

impl Default for InitParams {
    fn default() -> Self {
        Self {
            ramdisk_execute_command: String::from("/init"),
            execute_command: None,
            argv: Vec::new(),
            envp: alloc::vec![String::from("HOME=/"), String::from("TERM=linux")],
            console_loglevel: None,
            panic_later: None,
            prof_shift: None,
        }
    }
}

/// `next_arg()`: one parameter and its value off `args` (which starts
/// at a non-space), and the rest after the spaces that follow. Quotes
/// group spaces and are dropped around a value or a whole parameter.
pub fn next_arg(args: &str) -> (String, Option<String>, &str) {
    let bytes = args.as_bytes();
    let (start, mut in_quote, quoted) = if bytes.first() == Some(&b'"') {
        (1, true, true)
    } else {
        (0, false, false)
    };
    let s = &bytes[start..];
    let mut equals = 0;
    let mut i = 0;
    while i < s.len() {
        if s[i].is_ascii_whitespace() && !in_quote {
            break;
        }
        if equals == 0 && s[i] == b'=' {
            equals = i;
        }
        if s[i] == b'"' {
            in_quote = !in_quote;
        }
        i += 1;
    }
    // The word is s[..i]; Linux overwrites a closing quote with NUL.
    let mut end = i;
    let (param, val) = if equals == 0 {
        if quoted && end > 0 && s[end - 1] == b'"' {
            end -= 1;
        }
        (&s[..end], None)
    } else {
        let mut v = equals + 1;
        if s.get(v) == Some(&b'"') {
            v += 1;
            if s[end - 1] == b'"' {
                end -= 1;
            }
        } else if quoted && s[end - 1] == b'"' {
            end -= 1;
        }
        (&s[..equals], Some(&s[v.min(end)..end]))
    };
    let rest = if i < s.len() { &s[i + 1..] } else { &s[i..] };
    let rest = &args[args.len() - rest.len()..];
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        text(param),
        val.map(text),
        rest.trim_start_matches(|c: char| c.is_ascii_whitespace()),
    )
}

impl InitParams {
    /// `argv_init[i] = param` with Linux's limit.
    fn push_arg(&mut self, arg: String) {
        if self.argv.len() + 1 >= MAX_INIT_ARGS {
            self.panic_later.get_or_insert(("init", arg));
            return;
        }
        self.argv.push(arg);
    }

    /// `unknown_bootoption()`.
    fn unknown_bootoption(&mut self, param: &str, val: Option<&str>) {
        // Unused module parameter.
        if param.contains('.') || self.panic_later.is_some() {
            return;
        }
        match val {
            Some(val) => {
                let entry = alloc::format!("{param}={val}");
                let prefix = alloc::format!("{param}=");
                if let Some(slot) = self.envp.iter_mut().find(|e| e.starts_with(&prefix)) {
                    *slot = entry;
                } else if self.envp.len() >= MAX_INIT_ENVS {
                    self.panic_later = Some(("env", entry));
                } else {
                    self.envp.push(entry);
                }
            }
            None => self.push_arg(String::from(param)),
        }
    }

    /// `profile_setup()`: `profile=N` profiles the kernel's text in
    /// buckets of 2^N bytes (N clamped to 0..=63, as `get_option` reads
    /// it: a leading number, the rest ignored). `schedule` and `kvm`
    /// profiling have no hooks here; the parameter is still the kernel's.
    fn profile_setup(&mut self, v: &str) {
        if v.starts_with("schedule") || v.starts_with("kvm") {
            log::warn!("profile={v}: only CPU profiling (profile=N) is implemented");
            return;
        }
        if let Some(par) = get_option(v) {
            let shift = par.clamp(0, 63) as u32;
            log::info!("kernel profiling enabled (shift: {shift})");
            self.prof_shift = Some(shift);
        }
    }

    /// The kernel's own parameters (`__setup` and `early_param`); false
    /// for one it does not know.
    fn setup(&mut self, param: &str, val: Option<&str>) -> bool {
        match (param, val) {
            // init_setup() and rdinit_setup() forget the words before
            // them (LILO's "auto").
            ("init", Some(v)) => {
                self.execute_command = Some(String::from(v));
                self.argv.clear();
            }
            ("rdinit", Some(v)) => {
                self.ramdisk_execute_command = String::from(v);
                self.argv.clear();
            }
            ("quiet", None) => self.console_loglevel = Some(CONSOLE_LOGLEVEL_QUIET),
            ("loglevel", Some(v)) => {
                if let Ok(level) = v.parse::<i32>() {
                    self.console_loglevel = Some(level);
                }
            }
            ("console", Some(_)) => {}
            ("profile", Some(v)) => self.profile_setup(v),
            _ => return false,
        }
        true
    }
}

/// `get_option()`'s number: an optional sign, then decimal digits (or
/// `0x` hex, or a leading-0 octal, as `simple_strtoull` with base 0).
fn get_option(s: &str) -> Option<i64> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if end == 0 && radix != 8 {
        return None;
    }
    let n =
        i64::from_str_radix(&digits[..end], radix).unwrap_or(if end == 0 { 0 } else { i64::MAX });
    Some(if neg { -n } else { n })
}

/// `parse_args("Booting kernel", ...)` with `unknown_bootoption`, then
/// `parse_args("Setting init args", ...)` with `set_init_arg` for what
/// follows `--`.
pub fn parse_boot_command_line(cmdline: &str) -> InitParams {
    let mut p = InitParams::default();
    let mut args = cmdline.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let mut after_dashes = false;
    while !args.is_empty() {
        let (param, val, rest) = next_arg(args);
        args = rest;
        if after_dashes {
            // set_init_arg(): the word as written, `=` included.
            let word = match val {
                Some(v) => alloc::format!("{param}={v}"),
                None => param,
            };
            p.push_arg(word);
        } else if val.is_none() && param == "--" {
            after_dashes = true;
        } else if !p.setup(&param, val.as_deref()) {
            p.unknown_bootoption(&param, val.as_deref());
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| String::from(*x)).collect()
    }

    #[test]
    fn next_arg_splits_like_linux() {
        assert_eq!(next_arg("a=b c"), ("a".into(), Some("b".into()), "c"));
        assert_eq!(next_arg("single"), ("single".into(), None, ""));
        assert_eq!(
            next_arg("x=\"one two\"   y"),
            ("x".into(), Some("one two".into()), "y")
        );
        assert_eq!(next_arg("\"a b\" c"), ("a b".into(), None, "c"));
        assert_eq!(next_arg("a==b"), ("a".into(), Some("=b".into()), ""));
        // '=' first is not a value separator (`equals` stays 0).
        assert_eq!(next_arg("=x y"), ("=x".into(), None, "y"));
        assert_eq!(next_arg("e= f"), ("e".into(), Some("".into()), "f"));
    }

    #[test]
    fn profile_takes_get_options_number_clamped() {
        let shift = |cmdline: &str| parse_boot_command_line(cmdline).prof_shift;
        assert_eq!(shift("profile=2"), Some(2));
        assert_eq!(shift("profile=0x10"), Some(16));
        assert_eq!(shift("profile=3,foo"), Some(3));
        assert_eq!(shift("profile=100"), Some(63));
        assert_eq!(shift("profile=-4"), Some(0));
        assert_eq!(shift("profile=abc"), None);
        assert_eq!(shift("profile=schedule,2"), None);
        assert_eq!(shift("quiet"), None);
        // The kernel's parameter either way: not init's environment.
        let p = parse_boot_command_line("profile=abc profile=2");
        assert_eq!(p.envp, s(&["HOME=/", "TERM=linux"]));
        assert_eq!(p.prof_shift, Some(2));
    }

    #[test]
    fn unknown_options_go_to_init() {
        let p = parse_boot_command_line("console=ttyS0 foo=bar single  mod.opt=1 x=\"a b\"");
        assert_eq!(p.argv, s(&["single"]));
        assert_eq!(p.envp, s(&["HOME=/", "TERM=linux", "foo=bar", "x=a b"]));
        assert_eq!(p.ramdisk_execute_command, "/init");
        assert_eq!(p.execute_command, None);
        assert_eq!(p.console_loglevel, None);
    }

    #[test]
    fn same_name_replaces_the_environment_entry() {
        let p = parse_boot_command_line("TERM=vt100 A=1 A=2");
        assert_eq!(p.envp, s(&["HOME=/", "TERM=vt100", "A=2"]));
    }

    #[test]
    fn after_dashes_everything_is_an_argument() {
        let p = parse_boot_command_line("quiet -- a=b -- c init=/x");
        assert_eq!(p.argv, s(&["a=b", "--", "c", "init=/x"]));
        assert_eq!(p.execute_command, None);
        assert_eq!(p.console_loglevel, Some(CONSOLE_LOGLEVEL_QUIET));
    }

    #[test]
    fn init_and_rdinit_forget_earlier_words() {
        let p = parse_boot_command_line("auto rdinit=/bin/sh s1 init=/sbin/init s2 loglevel=8");
        assert_eq!(p.ramdisk_execute_command, "/bin/sh");
        assert_eq!(p.execute_command.as_deref(), Some("/sbin/init"));
        assert_eq!(p.argv, s(&["s2"]));
        assert_eq!(p.console_loglevel, Some(8));
        assert_eq!(parse_boot_command_line("loglevel=x").console_loglevel, None);
    }

    #[test]
    fn too_many_words_panic_later() {
        let words: Vec<String> = (0..40).map(|i| alloc::format!("w{i}")).collect();
        let p = parse_boot_command_line(&words.join(" "));
        // argv_init[0] is init's name: 31 words fit.
        assert_eq!(p.argv.len(), MAX_INIT_ARGS - 1);
        assert_eq!(p.panic_later, Some(("init", String::from("w31"))));
        let envs: Vec<String> = (0..40).map(|i| alloc::format!("v{i}=1")).collect();
        let p = parse_boot_command_line(&envs.join(" "));
        assert_eq!(p.envp.len(), MAX_INIT_ENVS);
        assert_eq!(p.panic_later, Some(("env", String::from("v30=1"))));
    }

    #[test]
    fn empty_and_blank_lines() {
        assert_eq!(parse_boot_command_line(""), InitParams::default());
        assert_eq!(parse_boot_command_line("   "), InitParams::default());
    }
}
