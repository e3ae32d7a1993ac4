/* The benchmark's child (forkexec.c): what /bin/true does, as a static
 * glibc program, so both kernels exec the same binary. */
int main(void)
{
	return 0;
}
