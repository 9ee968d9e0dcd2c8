/*
 * Heap strings of proxy/aws/: joined without truncation, and wiped when
 * they may hold a secret.
 */
#ifndef SSM_STRUTIL_H
#define SSM_STRUTIL_H

/* a b c d concatenated on the heap; NULL if out of memory.  Free with
 * wipe_str when it may hold a secret. */
char	*strjoin(const char *a, const char *b, const char *c, const char *d);
/* Wipe the NUL-terminated s and free it; NULL is a no-op. */
void	 wipe_str(char *s);

#endif /* SSM_STRUTIL_H */
