//! Boot protocols other than the bootloader crate's; mirrors
//! arch/x86/platform/.

pub mod pvh;
