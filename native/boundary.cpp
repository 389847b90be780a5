#include "boundary.h"

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

void throwTorch(Napi::Env env, const char* fn, const std::string& full, const std::string& cppWhat, bool oom) {
  auto& s = state();
  std::string message = std::string(fn) + ": " + firstLine(full);
  Napi::FunctionReference& ctor = oom ? s.oomErrorCtor : s.torchErrorCtor;
  Napi::Object err = ctor.IsEmpty() ? Napi::Error::New(env, message).Value()
                                    : ctor.New({Napi::String::New(env, message)});
  err.Set("op", Napi::String::New(env, fn));
  err.Set("detail", Napi::String::New(env, full));
  if (wantCppStack()) err.Set("cppStack", Napi::String::New(env, cppWhat));
  Napi::Error(env, err).ThrowAsJavaScriptException();
}

}  // namespace

std::string firstLine(const std::string& s) {
  auto end = s.find('\n');
  std::string line = end == std::string::npos ? s : s.substr(0, end);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

EnvState::EnvState() = default;
EnvState::~EnvState() = default;  // here, where optim::Optimizer is a complete type

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

void throwCurrentException(Napi::Env env, const char* fn) {
  try {
    throw;
  } catch (const ArgError& e) {
    if (e.kind == ArgError::Range) Napi::RangeError::New(env, e.message).ThrowAsJavaScriptException();
    else Napi::TypeError::New(env, e.message).ThrowAsJavaScriptException();
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const c10::OutOfMemoryError& e) {
    throwTorch(env, fn, e.what_without_backtrace(), e.what(), true);
  } catch (const c10::IndexError& e) {
    std::string msg = std::string(fn) + ": " + firstLine(e.what_without_backtrace());
    Napi::Error err = Napi::RangeError::New(env, msg);
    err.Set("op", Napi::String::New(env, fn));
    err.Set("detail", Napi::String::New(env, e.what_without_backtrace()));
    err.ThrowAsJavaScriptException();
  } catch (const c10::Error& e) {
    throwTorch(env, fn, e.what_without_backtrace(), e.what(), false);
  } catch (const std::bad_alloc& e) {
    throwTorch(env, fn, std::string("out of memory (") + e.what() + ")", e.what(), true);
  } catch (const std::exception& e) {
    throwTorch(env, fn, e.what(), e.what(), false);
  } catch (...) {
    throwTorch(env, fn, "unknown C++ exception", "", false);
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
