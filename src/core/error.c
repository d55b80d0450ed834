/*
 * error.c: filling lathe_error records.
 *
 * Messages are formatted into the caller's fixed buffer and silently cut at
 * LATHE_ERROR_MESSAGE_MAX: an error path must never fail for lack of memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

#include "core/banned.h"

void lathe_error_clear(lathe_error *err)
{
    if (!err)
        return;
    err->status = LATHE_OK;
    err->message[0] = '\0';
}

lathe_status lathe__error(lathe_error *err, lathe_status status, const char *format, ...)
{
    if (!err)
        return status;
    err->status = status;
    va_list args;
    va_start(args, format);
    vsnprintf(err->message, sizeof err->message, format, args);
    va_end(args);
    return status;
}

void lathe__error_prefix(lathe_error *err, const char *format, ...)
{
    if (!err)
        return;
    char prefix[LATHE_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(prefix, sizeof prefix - 2, format, args);
    va_end(args);
    if (n < 0)
        return;
    size_t prefix_length = strlen(prefix);
    memcpy(prefix + prefix_length, ": ", 3);
    prefix_length += 2;
    size_t room = sizeof err->message - 1 - prefix_length;
    size_t message_length = strlen(err->message);
    if (message_length > room)
        message_length = room;
    memmove(err->message + prefix_length, err->message, message_length);
    memcpy(err->message, prefix, prefix_length);
    err->message[prefix_length + message_length] = '\0';
}

lathe_status lathe__error_nomem(lathe_error *err)
{
    return lathe__error(err, LATHE_NOMEM, "out of memory");
}
