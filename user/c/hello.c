/* The smallest C program: exact output and exit status 0. */
#include <stdio.h>

int main(void)
{
	printf("hello, world\n");
	return 0;
}
