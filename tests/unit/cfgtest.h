/*
 * Helpers for the configuration-layer tests: a scratch directory made
 * with mkdtemp, files written into it, and a fake environment for
 * struct awscfg_env.
 */
#ifndef SSM_CFGTEST_H
#define SSM_CFGTEST_H

#include <sys/stat.h>

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "awscfg.h"

static char cfgtest_dir[256];

/* Create the scratch directory; aborts on failure. */
static void __attribute__((unused))
cfgtest_mkdir(void)
{
	snprintf(cfgtest_dir, sizeof(cfgtest_dir),
	    "/tmp/ssm-proxy-test.XXXXXX");
	if (mkdtemp(cfgtest_dir) == NULL)
		abort();
}

/* Path of name in the scratch directory (static buffer, 4 slots). */
static const char * __attribute__((unused))
cfgtest_path(const char *name)
{
	static char bufs[4][512];
	static int n;
	char *b = bufs[n++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", cfgtest_dir, name);
	return b;
}

/* Write len bytes to name in the scratch directory, with mode. */
static void __attribute__((unused))
cfgtest_write(const char *name, const void *p, size_t len, int mode)
{
	const char *path = cfgtest_path(name);
	FILE *f;

	unlink(path);
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (len > 0 && fwrite(p, 1, len, f) != len)
		abort();
	if (fclose(f) != 0 || chmod(path, mode) != 0)
		abort();
}

static void __attribute__((unused))
cfgtest_write_str(const char *name, const char *s)
{
	cfgtest_write(name, s, strlen(s), 0600);
}

/* Remove the scratch directory and the files in it (one level). */
static void __attribute__((unused))
cfgtest_rmdir(void)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(cfgtest_dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlink(cfgtest_path(de->d_name)) != 0)
			rmdir(cfgtest_path(de->d_name));
	}
	closedir(d);
	rmdir(cfgtest_dir);
}

/* A fake environment: up to 32 NAME=VALUE pairs. */
struct fakeenv {
	const char	*name[32];
	const char	*value[32];
	int		 n;
};

static const char * __attribute__((unused))
fakeenv_get(void *arg, const char *name)
{
	struct fakeenv *fe = arg;
	int i;

	for (i = fe->n - 1; i >= 0; i--)
		if (strcmp(fe->name[i], name) == 0)
			return fe->value[i];
	return NULL;
}

static void __attribute__((unused))
fakeenv_set(struct fakeenv *fe, const char *name, const char *value)
{
	if (fe->n == 32)
		abort();
	fe->name[fe->n] = name;
	fe->value[fe->n++] = value;
}

/*
 * Reset fe to HOME=<scratch dir> with AWS_CONFIG_FILE and
 * AWS_SHARED_CREDENTIALS_FILE at "config" and "credentials" in it, and
 * point env at it.
 */
static void __attribute__((unused))
fakeenv_init(struct fakeenv *fe, struct awscfg_env *env)
{
	static char cfgp[512], credp[512];

	memset(fe, 0, sizeof(*fe));
	snprintf(cfgp, sizeof(cfgp), "%s/config", cfgtest_dir);
	snprintf(credp, sizeof(credp), "%s/credentials", cfgtest_dir);
	fakeenv_set(fe, "HOME", cfgtest_dir);
	fakeenv_set(fe, "AWS_CONFIG_FILE", cfgp);
	fakeenv_set(fe, "AWS_SHARED_CREDENTIALS_FILE", credp);
	env->get = fakeenv_get;
	env->arg = fe;
}

#endif /* SSM_CFGTEST_H */
