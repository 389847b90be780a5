// glibc malloc settings for the process, applied once when the addon loads (addon.cpp).
//
// Tensor temporaries of a few MB are freed and re-made every step. In a Node process glibc
// keeps returning that memory to the OS and faulting it back in (~25k page faults per AdamW
// step of a 12M-parameter model, 2.5x slower than PyTorch); fixed thresholds keep it in the
// heap. TORCHTRAIN_MALLOC_TUNING=0 leaves malloc alone.
#include <cstdlib>
#include <mutex>
#include <string>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "registrars.h"

namespace tt {

void tuneMalloc() {
  static std::once_flag tuned;  // process-wide: every worker's environment loads the addon again
  std::call_once(tuned, [] {
#ifdef __GLIBC__
    const char* setting = std::getenv("TORCHTRAIN_MALLOC_TUNING");
    if (setting && std::string(setting) == "0") return;
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
  });
}

}  // namespace tt
