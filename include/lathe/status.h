/*
 * status.h: the one list of status codes Lathe returns.
 *
 * Every fallible call returns a lathe_status; 0 is success. The enum and
 * lathe_strerror() are both generated from LATHE_STATUS_MAP so they can never
 * disagree.
 */
#ifndef LATHE_STATUS_H
#define LATHE_STATUS_H

#include "lathe/export.h"

#define LATHE_STATUS_MAP(X)                                                                        \
    X(OK, "ok")                                                                                    \
    X(NOMEM, "out of memory")                                                                      \
    X(IO, "input/output error")                                                                    \
    X(PARSE, "malformed input")                                                                    \
    X(INVALID, "invalid argument")                                                                 \
    X(LIMIT, "limit exceeded")                                                                     \
    X(NOT_FOUND, "not found")                                                                      \
    X(UNSUPPORTED, "unsupported input")                                                            \
    X(CANCELED, "canceled")                                                                        \
    X(CORRUPT, "corrupt file")

typedef enum lathe_status {
#define LATHE__STATUS_ENUM(name, text) LATHE_##name,
    LATHE_STATUS_MAP(LATHE__STATUS_ENUM)
#undef LATHE__STATUS_ENUM
        LATHE_STATUS_COUNT
} lathe_status;

/* A short description of a status code; never NULL. */
LATHE_API const char *lathe_strerror(lathe_status status);

#endif
