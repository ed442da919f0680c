// Shared helpers of the CImage implementation files (not part of the C interface).
#pragma once
#include <string>

namespace cimage {
extern thread_local std::string last_error;
/// Records message as this thread's last error and returns -1.
int fail(const std::string &message);
}  // namespace cimage

// Runs body; any C++ exception (cv::Exception, std::bad_alloc) becomes -1 with its message.
#define CI_TRY(...)                                         \
  try {                                                     \
    __VA_ARGS__;                                            \
    return 0;                                               \
  } catch (const std::exception &e) {                       \
    return cimage::fail(e.what());                          \
  } catch (...) {                                           \
    return cimage::fail("unknown C++ exception in CImage"); \
  }
