/* Memory protections the mem table must show exactly: an anonymous RW mapping made RX
 * (exec after write) and an anonymous RWX mapping. Prints the two addresses as JSON. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(void)
{
	size_t len = 2 * 4096;
	unsigned char *jit = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (jit == MAP_FAILED)
		return 1;
	memset(jit, 0xc3, len); /* ret */
	if (mprotect(jit, len, PROT_READ | PROT_EXEC))
		return 1;
	void *rwx = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rwx == MAP_FAILED)
		return 1;
	printf("{\"jit\":%lu,\"rwx\":%lu}\n", (unsigned long)jit, (unsigned long)rwx);
	munmap(rwx, 4096);
	munmap(jit, len);
	return 0;
}
