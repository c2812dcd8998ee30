/* fsutil.h — files and folders: creating run folders, writing files atomically. */
#ifndef LINTRAIN_FSUTIL_H
#define LINTRAIN_FSUTIL_H

#include <stddef.h>

#include "lintrain/common.h"

#define LT_PATH_MAX 4096

/* mkdir -p: creates path and its missing parents (mode 0777 & ~umask). */
lt_status lt_mkdir_p(const char *path, lt_error *err);

/* Writes n bytes to path.tmp, flushes them to disk and renames over path, so a reader
 * sees the old file or the whole new one, never a part; then syncs the folder, so that
 * the rename itself survives a crash. */
lt_status lt_write_file_atomic(const char *path, const void *data, size_t n, lt_error *err);

/* fsync of the folder holding path (its directory entries: a rename into it). */
lt_status lt_fsync_parent(const char *path, lt_error *err);

/* out = dir + "/" + name; an error when it does not fit LT_PATH_MAX. */
lt_status lt_path_join(char out[LT_PATH_MAX], const char *dir, const char *name, lt_error *err);

#endif
