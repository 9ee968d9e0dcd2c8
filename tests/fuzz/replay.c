/*
 * Plain driver for the fuzz targets: feeds every file named on the command
 * line (directories are walked one level) to LLVMFuzzerTestOneInput, so
 * that `make check` replays the corpora under ASan and UBSan without
 * libFuzzer.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *p = NULL;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((p = realloc(p, cap)) == NULL)
				abort();
		}
		if ((n = fread(p + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(p, len);
	free(p);
	return 0;
}

int
main(int argc, char **argv)
{
	struct dirent *de;
	struct stat st;
	char path[4096];
	int i, files = 0;
	DIR *d;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 2;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) != 0)
				return 2;
			files++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			perror(argv[i]);
			return 2;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    de->d_name);
			if (run_file(path) != 0)
				return 2;
			files++;
		}
		closedir(d);
	}
	printf("%d inputs replayed\n", files);
	return files > 0 ? 0 : 1;
}
