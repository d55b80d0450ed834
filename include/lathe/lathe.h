/*
 * lathe.h: the whole public API of liblathe.
 *
 * Ownership, once for every header: arguments are borrowed for the length of
 * the call; objects returned through an `out` pointer by _new, _read, _load,
 * _fit, _select, _take and the like belong to the caller, who frees them with
 * the matching _free (free of NULL is a no-op). Strings returned by accessors
 * belong to the object they came from and live as long as it does. Any
 * exception is written on the declaration.
 *
 * Errors: a fallible call returns a lathe_status (0 is LATHE_OK) and takes a
 * lathe_error * last, which may be NULL. A failed call leaves its inputs as
 * they were and its outputs unset.
 */
#ifndef LATHE_H
#define LATHE_H

#include "lathe/core.h"
#include "lathe/frame.h"
#include "lathe/metrics.h"
#include "lathe/model.h"
#include "lathe/profile.h"
#include "lathe/read.h"
#include "lathe/split.h"
#include "lathe/status.h"

#endif
