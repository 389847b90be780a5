// Precompiled header: everything heavy that every binding file includes.
// torch/torch.h alone takes ~30 s to parse here; compiling it once per build is the point.
#pragma once
#include <torch/torch.h>
#include <torch/version.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/Parallel.h>
#include <ATen/ScalarOps.h>
#include <torch/csrc/autograd/autograd.h>
#include <c10/util/Exception.h>
// node-addon-api's own throw paths (module init, Napi::Error) return quietly instead of throwing
// a C++ exception when napi_throw fails because the environment is terminating (worker.terminate()).
#define NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
