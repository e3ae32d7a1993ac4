//! argv as Linux lays it out on the initial stack: `[rsp]` = argc, then
//! argc pointers to NUL-terminated strings, then NULL, envp..., auxv.

use core::ffi::{CStr, c_char};

#[derive(Clone, Copy)]
pub struct Args {
    argv: &'static [*const c_char],
}

impl Args {
    /// # Safety
    /// `sp` must be the initial stack pointer the kernel handed to
    /// `_start`, laid out as Linux's ELF loader does.
    pub unsafe fn from_initial_stack(sp: *const usize) -> Self {
        // SAFETY: per the caller, `sp` points at argc followed by argc
        // valid string pointers, which live as long as the process.
        let argv = unsafe {
            let argc = *sp;
            core::slice::from_raw_parts(sp.add(1).cast::<*const c_char>(), argc)
        };
        Self { argv }
    }

    pub fn len(&self) -> usize {
        self.argv.len()
    }

    pub fn is_empty(&self) -> bool {
        self.argv.is_empty()
    }

    /// Argument `i` (0 is the program name) without its NUL.
    pub fn get(&self, i: usize) -> Option<&'static CStr> {
        // SAFETY: each argv pointer is a valid NUL-terminated string for
        // the life of the process (see `from_initial_stack`).
        self.argv.get(i).map(|&p| unsafe { CStr::from_ptr(p) })
    }

    /// The arguments after the program name.
    pub fn rest(&self) -> impl Iterator<Item = &'static CStr> + '_ {
        (1..self.len()).filter_map(|i| self.get(i))
    }
}
