/*
 * harness.h: a small unit-test harness. Each test file defines TEST(name)
 * functions; harness.c runs them all and exits non-zero if any check failed.
 * A failed CHECK records the failure and returns from the test.
 */
#ifndef LATHE_TEST_HARNESS_H
#define LATHE_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

void harness_register(const char *name, void (*fn)(void));
void harness_fail(const char *file, int line, const char *what);
int harness_failed_now(void);

#define TEST(name)                                                                                 \
    static void name(void);                                                                        \
    __attribute__((constructor)) static void register_##name(void)                                 \
    {                                                                                              \
        harness_register(#name, name);                                                             \
    }                                                                                              \
    static void name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            harness_fail(__FILE__, __LINE__, #cond);                                               \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            char harness_msg_[1024];                                                               \
            snprintf(harness_msg_, sizeof harness_msg_, __VA_ARGS__);                              \
            harness_fail(__FILE__, __LINE__, harness_msg_);                                        \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    CHECK_MSG((a) == (b), "%s == %s (%lld vs %lld)", #a, #b, (long long)(a), (long long)(b))

#define CHECK_NEAR(a, b, tol)                                                                      \
    CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%s ~ %s (%.17g vs %.17g)", #a, #b,        \
              (double)(a), (double)(b))

#define CHECK_STR(a, b)                                                                            \
    CHECK_MSG(strcmp((a), (b)) == 0, "%s == %s (\"%s\" vs \"%s\")", #a, #b, (a), (b))

/* Checks that `haystack` contains `needle`. */
#define CHECK_HAS(haystack, needle)                                                                \
    CHECK_MSG(strstr((haystack), (needle)) != NULL, "\"%s\" contains \"%s\"", (haystack), (needle))

/* Checks a lathe call returned LATHE_OK, printing the error message otherwise. */
#define CHECK_OK(call, err) CHECK_MSG((call) == LATHE_OK, "%s failed: %s", #call, (err).message)

#endif
