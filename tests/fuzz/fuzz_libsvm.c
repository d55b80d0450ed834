/* fuzz_libsvm.c: libFuzzer target for the LibSVM reader (sparse rows, qid, labels); see
 * reader_fuzz.h. */
#include "reader_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const columns[5] = {"label", "qid", "f1", "f2", "f3"};
    return fuzz_reader(data, size, LATHE_FORMAT_LIBSVM, "fuzz.libsvm", columns);
}
