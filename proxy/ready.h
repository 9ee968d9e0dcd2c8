/*
 * Why an instance is not connected, and --start: what EC2 and Systems
 * Manager say about one instance when StartSession answers
 * TargetNotConnected (proxy/aws/AWS-APIS.md "DescribeInstances",
 * "DescribeInstanceInformation", "StartInstances").  Blocking, like
 * resolve.c, whose context it shares; the messages are logged here.
 */
#ifndef SSM_READY_H
#define SSM_READY_H

#include "resolve.h"

/*
 * The final TargetNotConnected for id: log message (the service's words)
 * with the reason when the caller may look it up, and the profile and
 * region.  Returns 1 when the instance is stopped and may_start (--start,
 * not yet started) says to start it (nothing is logged then), else 0.
 */
int	ready_explain(const struct resolve *r, const char *id,
	    const char *message, int may_start);

/*
 * StartInstances for id (name: its name tag, or "").  0, or the exit
 * status after logging.
 */
int	ready_start(const struct resolve *r, const char *id, const char *name);

/*
 * While a started instance is waited for: its state now, logged once
 * per change (seen: 16 bytes, the last state said).
 */
void	ready_progress(const struct resolve *r, const char *id, char *seen);

#endif /* SSM_READY_H */
