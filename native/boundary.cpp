#include "boundary.h"

#include <atomic>
#include <cstdlib>

#include "compat.h"
#include "optimizers.h"

namespace tt {

namespace {

thread_local EnvState* currentState = nullptr;

// V8 hears about native bytes in batches: one napi_adjust_external_memory per MiB of change.
constexpr int64_t kExternalReportStep = 1 << 20;

void reportExternal(EnvState& s, Napi::Env env, int64_t delta) {
  s.unreportedBytes += delta;
  if (s.unreportedBytes >= kExternalReportStep || s.unreportedBytes <= -kExternalReportStep) {
    int64_t adjusted = 0;
    napi_adjust_external_memory(env, s.unreportedBytes, &adjusted);
    s.reportedBytes += s.unreportedBytes;
    s.unreportedBytes = 0;
  }
}

// libtorch's warning handler is process-global; each thread queues its own warnings and the
// JS thread emits them through process.emitWarning after the binding returns.
struct QueueingWarningHandler : compat::WarningHandlerBase {
  void onWarning(const std::string& msg) override {
    if (currentState) currentState->warnings.push_back(msg);
    else std::fprintf(stderr, "[libtorch warning] %s\n", msg.c_str());
  }
};
QueueingWarningHandler warningHandler;

bool wantCppStack() {
  const char* v = std::getenv("TORCHTRAIN_CPP_STACKTRACES");
  return v && *v && std::string(v) != "0";
}

}  // namespace

std::string firstLine(const std::string& s) {
  auto end = s.find('\n');
  std::string line = end == std::string::npos ? s : s.substr(0, end);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

namespace {
std::atomic<int64_t> environments{0};
}

EnvState::EnvState() { environments++; }
EnvState::~EnvState() { environments--; }  // here, where optim::Optimizer is a complete type

int64_t liveEnvironments() { return environments.load(); }

EnvState& state() { return *currentState; }

void initState(Napi::Env env) {
  currentState = new EnvState();
  compat::setWarningHandler(&warningHandler);
  // The one place an environment's objects are freed: tensors, optimizers, modules, operators.
  env.AddCleanupHook([]() {
    delete currentState;
    currentState = nullptr;
  });
}

int64_t tensorBytes(const at::Tensor& t) {
  if (!t.defined()) return 0;
  int64_t logical = static_cast<int64_t>(t.numel()) * static_cast<int64_t>(t.element_size());
  if (!t.has_storage()) return logical;
  return std::min<int64_t>(logical, static_cast<int64_t>(t.storage().nbytes()));
}

int32_t put(EnvState& s, Napi::Env env, at::Tensor t) {
  if (!t.defined()) return -1;
  int64_t bytes = tensorBytes(t);
  int32_t handle;
  if (!s.freeSlots.empty()) {
    handle = s.freeSlots.back();
    s.freeSlots.pop_back();
    s.slots[handle] = std::move(t);
    s.slotBytes[handle] = bytes;
  } else {
    if (s.slots.size() >= static_cast<size_t>(INT32_MAX)) throw std::runtime_error("tensor table is full (2^31 live tensors)");
    handle = static_cast<int32_t>(s.slots.size());
    s.slots.push_back(std::move(t));
    s.slotBytes.push_back(bytes);
  }
  s.live++;
  s.liveBytes += bytes;
  reportExternal(s, env, bytes);
  return handle;
}

const at::Tensor* findTensor(const EnvState& s, int32_t handle) {
  if (handle < 0 || static_cast<size_t>(handle) >= s.slots.size() || !s.slots[handle].defined()) return nullptr;
  return &s.slots[handle];
}

const at::Tensor& lookup(EnvState& s, int32_t handle, const char* fn, size_t argIndex) {
  if (const at::Tensor* t = findTensor(s, handle)) return *t;
  throw ArgError(ArgError::Type, std::string(fn) + ": argument " + std::to_string(argIndex + 1) +
                                     " is a disposed Tensor (freed by dispose() or by the end of the torch.scope "
                                     "it was made in); return it from the scope or call torch.keep() on it");
}

void release(EnvState& s, Napi::Env env, int32_t handle) {
  lookup(s, handle, "dispose", 0);
  int64_t bytes = s.slotBytes[handle];
  s.slots[handle] = at::Tensor();  // drops this handle's reference only; shared storage lives on
  s.freeSlots.push_back(handle);
  s.live--;
  s.liveBytes -= bytes;
  reportExternal(s, env, -bytes);
}

void exportFunction(Napi::Object exports, const char* name, napi_callback callback) {
  napi_value fn;
  napi_status status = napi_create_function(exports.Env(), name, NAPI_AUTO_LENGTH, callback, &state(), &fn);
  NAPI_THROW_IF_FAILED_VOID(exports.Env(), status);
  exports.Set(name, Napi::Value(exports.Env(), fn));
}

// ---- errors and warnings ----

namespace {

enum class JsError { Type, Range, Torch, OutOfMemory };

// Builds and throws a JS error with raw N-API calls, so that nothing here can throw a C++
// exception. Each step fails only when a JS exception is already pending (then it stays the one
// thrown) or when the environment is being torn down (worker.terminate(), process exit), where no
// JS can run: then nothing is thrown and the binding returns undefined to nobody.
void throwJs(napi_env env, JsError kind, const char* fn, const std::string& message, const std::string& detail,
             const std::string& cppStack) noexcept {
  napi_value text, error = nullptr;
  if (napi_create_string_utf8(env, message.data(), message.size(), &text) != napi_ok) return;
  EnvState* s = currentState;
  napi_ref ctorRef = nullptr;
  if (s && kind == JsError::Torch) ctorRef = s->torchErrorCtor;
  if (s && kind == JsError::OutOfMemory) ctorRef = s->oomErrorCtor;
  napi_value ctor = nullptr;
  if (ctorRef && napi_get_reference_value(env, ctorRef, &ctor) == napi_ok && ctor &&
      napi_new_instance(env, ctor, 1, &text, &error) != napi_ok) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) != napi_ok || pending) return;
    error = nullptr;
  }
  napi_status made = napi_ok;
  if (!error) {
    if (kind == JsError::Type) made = napi_create_type_error(env, nullptr, text, &error);
    else if (kind == JsError::Range) made = napi_create_range_error(env, nullptr, text, &error);
    else made = napi_create_error(env, nullptr, text, &error);
  }
  if (made != napi_ok || !error) return;
  auto setText = [&](const char* key, const std::string& value) {
    napi_value v;
    return napi_create_string_utf8(env, value.data(), value.size(), &v) == napi_ok && napi_set_named_property(env, error, key, v) == napi_ok;
  };
  if (kind != JsError::Type && !(kind == JsError::Range && detail.empty())) {
    if (!setText("op", fn) || !setText("detail", detail)) return;
    if (!cppStack.empty() && !setText("cppStack", cppStack)) return;
  }
  napi_throw(env, error);  // fails only in a terminating environment, where there is no one to tell
}

// libtorch's CPU allocator reports failures as a plain c10::Error in 1.13 (and in messages that
// TorchScript rewraps); CUDA's as OutOfMemoryError, also rewrapped by TorchScript.
bool isOutOfMemory(const std::string& text) {
  return text.find("DefaultCPUAllocator: not enough memory") != std::string::npos ||
         text.find("DefaultCPUAllocator: can't allocate memory") != std::string::npos ||
         text.find("CUDA out of memory") != std::string::npos;
}

// libtorch's refusal to put a value into a narrower dtype ("value cannot be converted to type
// int8_t without overflow", from fill_, full, masked_fill, index_put_, where, ...) is a RangeError,
// as the same refusal of our argument readers is, with the dtype as torchtrain names it.
std::string overflowText(const std::string& full) {
  static const std::string head = "value cannot be converted to type ", tail = " without overflow";
  std::string line = firstLine(full);
  size_t at = line.find(head), end = line.find(tail);
  if (at == std::string::npos || end == std::string::npos || end < at + head.size()) return "";
  std::string type = line.substr(at + head.size(), end - at - head.size());
  static const std::pair<const char*, const char*> names[] = {
      {"int8_t", "int8"}, {"signed char", "int8"}, {"uint8_t", "uint8"}, {"unsigned char", "uint8"}, {"short", "int16"},
      {"int16_t", "int16"}, {"int", "int32"}, {"int32_t", "int32"}, {"long", "int64"}, {"long int", "int64"}, {"int64_t", "int64"},
      {"c10::Half", "float16"}, {"c10::BFloat16", "bfloat16"}, {"bool", "bool"}};
  for (const auto& [cName, ours] : names)
    if (type == cName) type = ours;
  return head + type + tail;
}

void throwTorch(napi_env env, const char* fn, const std::string& full, const char* cppWhat, bool oom) noexcept {
  try {
    throwJs(env, oom || isOutOfMemory(full) ? JsError::OutOfMemory : JsError::Torch, fn, std::string(fn) + ": " + firstLine(full), full,
            wantCppStack() ? std::string(cppWhat) : std::string());
  } catch (...) {
    // std::string ran out of memory while describing the failure: nothing more can be said.
  }
}

}  // namespace

void throwCurrentException(napi_env env, const char* fn) noexcept {
  try {
    try {
      throw;
    } catch (const ArgError& e) {
      throwJs(env, e.kind == ArgError::Range ? JsError::Range : JsError::Type, fn, e.message, "", "");
    } catch (const Napi::Error& e) {
      // A node-addon-api call failed: it took the pending JS exception (if any) into e; throw it again.
      napi_value value = e.Value();
      if (value) napi_throw(env, value);
    } catch (const c10::OutOfMemoryError& e) {
      throwTorch(env, fn, e.what_without_backtrace(), e.what(), true);
    } catch (const c10::IndexError& e) {
      throwJs(env, JsError::Range, fn, std::string(fn) + ": " + firstLine(e.what_without_backtrace()), e.what_without_backtrace(), "");
    } catch (const c10::Error& e) {
      std::string overflow = overflowText(e.what_without_backtrace());
      if (!overflow.empty()) throwJs(env, JsError::Range, fn, std::string(fn) + ": " + overflow, e.what_without_backtrace(), "");
      else throwTorch(env, fn, e.what_without_backtrace(), e.what(), false);
    } catch (const std::bad_alloc& e) {
      throwTorch(env, fn, std::string("out of memory (") + e.what() + ")", e.what(), true);
    } catch (const std::exception& e) {
      // c10's checked_convert reports overflow as a std::runtime_error.
      std::string overflow = overflowText(e.what());
      if (!overflow.empty()) throwJs(env, JsError::Range, fn, std::string(fn) + ": " + overflow, e.what(), "");
      else throwTorch(env, fn, e.what(), e.what(), false);
    } catch (...) {
      throwTorch(env, fn, "unknown C++ exception", "", false);
    }
  } catch (...) {
    // Reading the failure itself failed (no memory, or a terminating environment): the binding
    // returns undefined; in a live environment a pending JS exception, if any, is still thrown.
  }
  // Warnings raised before the failure stay queued and are emitted after the next call.
}

void flushWarnings(Napi::Env env) {
  auto pending = std::move(state().warnings);
  state().warnings.clear();
  Napi::Object process = env.Global().Get("process").As<Napi::Object>();
  Napi::Function emit = process.Get("emitWarning").As<Napi::Function>();
  for (const auto& msg : pending) emit.Call(process, {Napi::String::New(env, msg), Napi::String::New(env, "TorchWarning")});
}

}  // namespace tt
