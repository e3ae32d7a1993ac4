//! Architecture code; mirrors Linux's arch/. Only x86_64 exists.
//!
//! Inline assembly, port I/O and descriptor tables live below this module;
//! code elsewhere uses the safe functions it exports.

pub mod x86_64;
