/*
 * One run of ssm-proxy: StartSession, the key push, the data channel,
 * ResumeSession and TerminateSession on one event loop, ended by the
 * session's own end or by SIGHUP, SIGINT or SIGTERM.
 */
#ifndef SSM_SESSION_H
#define SSM_SESSION_H

#include "config.h"
#include "exit.h"

/*
 * Run the session conf describes (checked by main.c) to its end and
 * return the process's exit status: an EXIT_* code, or 128 + the signal
 * that ended it (SIGHUP: EXIT_OK).  Every failure is logged once.
 */
int	session_run(const struct config *conf);

#endif /* SSM_SESSION_H */
