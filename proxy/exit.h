/*
 * The process's exit status, documented in the manual page under EXIT
 * STATUS.  main.c and session.c decide it; a signal that ends the session
 * gives 128 + its number (SIGHUP: EXIT_OK).
 */
#ifndef SSM_EXIT_H
#define SSM_EXIT_H

#define EXIT_OK			0	/* session ended normally */
#define EXIT_USAGE		1	/* command line or configuration */
#define EXIT_API		2	/* AWS API or credentials */
#define EXIT_CHANNEL		3	/* websocket or handshake failed */
#define EXIT_LOST		4	/* session lost after it opened */
#define EXIT_PUSH		5	/* SendSSHPublicKey failed */
#define EXIT_KEY		6	/* no usable SSH key, or agent failure */

#endif /* SSM_EXIT_H */
