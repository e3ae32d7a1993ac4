/* Static-pie start-up (glibc only: Debian's musl-gcc -static-pie links
 * dynamically): an ET_DYN without PT_INTERP, loaded at a page-aligned
 * base, relocates itself; its auxv points into the loaded image. */
#define _GNU_SOURCE
#include <elf.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>

#include "check.h"

extern const Elf64_Ehdr __ehdr_start;
extern char _start[];

/* Relocated at start-up: a pointer in .data to a string in .rodata. */
static const char *greeting = "relocated";
static __thread int tls_counter = 41;
static int bss_zero[1024];

int main(void)
{
	checks_begin();
	uintptr_t base = (uintptr_t)&__ehdr_start;
	check(__ehdr_start.e_type == ET_DYN, "pie_is_et_dyn");
	check(base != 0 && base % 4096 == 0, "pie_base_page_aligned");
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + __ehdr_start.e_phoff);
	int interp = 0, dynamic = 0;
	for (int i = 0; i < __ehdr_start.e_phnum; i++) {
		interp |= ph[i].p_type == PT_INTERP;
		dynamic |= ph[i].p_type == PT_DYNAMIC;
	}
	check(!interp && dynamic, "pie_dynamic_without_interp");
	check(getauxval(AT_PHDR) == (unsigned long)ph, "pie_auxv_at_phdr");
	check(getauxval(AT_PHNUM) == __ehdr_start.e_phnum, "pie_auxv_at_phnum");
	check(getauxval(AT_ENTRY) == (unsigned long)_start, "pie_auxv_at_entry");
	check(getauxval(AT_BASE) == 0, "pie_auxv_at_base_0");
	check(greeting && strcmp(greeting, "relocated") == 0,
	      "pie_data_relocations_applied");
	tls_counter++;
	check(tls_counter == 42, "pie_tls");
	int zero = 1;
	for (int i = 0; i < 1024; i++)
		zero &= bss_zero[i] == 0;
	check(zero, "pie_bss_zeroed");
	return checks_end();
}
