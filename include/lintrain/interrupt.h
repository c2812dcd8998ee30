/* interrupt.h — SIGINT and SIGTERM as a request to stop cleanly.
 *
 * The handler only records the signal; the trainer polls lt_interrupt_pending() between
 * updates, finishes the update under way, writes a checkpoint and returns
 * LT_EINTERRUPTED. A second signal of the same kind is not caught (SA_RESETHAND):
 * it ends the process at once, as the user then expects. */
#ifndef LINTRAIN_INTERRUPT_H
#define LINTRAIN_INTERRUPT_H

/* Installs the handlers for SIGINT and SIGTERM and clears any pending request.
 * Returns 0, or -1 when sigaction failed (errno set). */
int lt_interrupt_install(void);

/* Restores the default dispositions. */
void lt_interrupt_uninstall(void);

/* The number of the signal that asked to stop, 0 when none did. */
int lt_interrupt_pending(void);

/* "SIGINT", "SIGTERM", or "signal" for another number. */
const char *lt_interrupt_name(int sig);

#endif
