/*
 * --list: the region's instances and managed nodes, as a table or as
 * ssh_config Host blocks, on standard output (not a tunnel: stdout is
 * free).  Also fills the name cache.
 */
#ifndef SSM_LIST_H
#define SSM_LIST_H

#include "config.h"

/* The exit status. */
int	list_run(const struct config *conf);

#endif /* SSM_LIST_H */
