// An op recorder on libtorch's RecordFunction callbacks: every ATen op (and autograd's backward
// functions) run between profilerStart and profilerStop, with its nesting depth, start and
// duration. It answers "which ops, how many, in what order" deterministically (the op list of a
// forward + backward), which wall-clock timings on a shared machine cannot; the same callbacks
// feed torch.profiler in Python. Process-wide, one recording at a time.
#include <ATen/record_function.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "boundary.h"
#include "registrars.h"

namespace {

struct OpEvent {
  std::string name;
  int32_t depth;
  int32_t thread;  // 0: the thread that started the recording, 1: any other
  int64_t startNs;
  int64_t durationNs;
};

struct Recording {
  std::mutex mutex;
  std::vector<OpEvent> events;
  at::CallbackHandle handle = 0;
  bool active = false;
  std::thread::id owner;
  std::chrono::steady_clock::time_point origin;
};

Recording& recording() {
  static Recording* r = new Recording();  // never destroyed: callbacks may run during exit
  return *r;
}

thread_local int32_t depth = 0;

struct OpContext : at::ObserverContext {
  size_t index;
  std::chrono::steady_clock::time_point start;
};

std::unique_ptr<at::ObserverContext> onEnter(const at::RecordFunction& fn) {
  auto& r = recording();
  auto ctx = std::make_unique<OpContext>();
  ctx->start = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(r.mutex);
  ctx->index = r.events.size();
  r.events.push_back({fn.name(), depth, std::this_thread::get_id() == r.owner ? 0 : 1,
                      std::chrono::duration_cast<std::chrono::nanoseconds>(ctx->start - r.origin).count(), 0});
  depth++;
  return ctx;
}

void onExit(const at::RecordFunction&, at::ObserverContext* raw) {
  auto& r = recording();
  depth--;
  auto* ctx = static_cast<OpContext*>(raw);
  auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - ctx->start).count();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (ctx->index < r.events.size()) r.events[ctx->index].durationNs = elapsed;
}

TT_BINDING(profilerStart) {
  auto& r = recording();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (r.active) throw std::runtime_error("a profiler recording is already running in this process; stop it first (torch.profiler.record calls cannot nest)");
  r.events.clear();
  r.owner = std::this_thread::get_id();
  r.origin = std::chrono::steady_clock::now();
  r.handle = at::addGlobalCallback(at::RecordFunctionCallback(onEnter, onExit)
                                       .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION}));
  r.active = true;
  return a.undefined();
}

// -> { names: string[], numbers: Float64Array [depth, thread, startNs, durationNs] per event }
TT_BINDING(profilerStop) {
  auto& r = recording();
  std::vector<OpEvent> events;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    if (!r.active) throw std::runtime_error("no profiler recording is running; call profilerStart first");
    at::removeCallback(r.handle);
    r.active = false;
    events.swap(r.events);
  }
  Napi::Env env = a.env();
  Napi::Array names = Napi::Array::New(env, events.size());
  Napi::Float64Array numbers = Napi::Float64Array::New(env, events.size() * 4);
  for (size_t k = 0; k < events.size(); k++) {
    names.Set(static_cast<uint32_t>(k), Napi::String::New(env, events[k].name));
    numbers[4 * k] = events[k].depth;
    numbers[4 * k + 1] = events[k].thread;
    numbers[4 * k + 2] = static_cast<double>(events[k].startNs);
    numbers[4 * k + 3] = static_cast<double>(events[k].durationNs);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("names", names);
  out.Set("numbers", numbers);
  return out;
}

}  // namespace

namespace tt {
void registerProfiler(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, profilerStart);
  TT_EXPORT(e, profilerStop);
}
}  // namespace tt
