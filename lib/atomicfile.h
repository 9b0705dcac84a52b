/* atomicfile.h: files that others read are replaced whole, never torn. */
#ifndef ATOMICFILE_H
#define ATOMICFILE_H

#include <stddef.h>

/*
 * Writes data to "PATH.tmp.PID", fsyncs it, renames it over path and
 * fsyncs the directory.  Returns 0, or -1 with errno set (the temporary
 * file is removed).
 */
int atomicfile_write(const char *path, const void *data, size_t len);
/* Reads a whole small file (at most max bytes) into a NUL-terminated
 * malloc'd string; -1 with errno (EFBIG past max). */
int file_read_all(const char *path, size_t max, char **out, size_t *len);

#endif
