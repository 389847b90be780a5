// Distributed process groups on PyTorch's c10d: a TCPStore rendezvous (torchrun's MASTER_ADDR and
// MASTER_PORT), then a ProcessGroupGloo (CPU) or ProcessGroupNCCL (CUDA builds). lib/distributed
// reads torchrun's environment and checks it; this file only builds the group and runs collectives.
//
// Collectives wait for their work synchronously, bounded by the group's timeout: a dead peer or a
// timeout becomes a JS error naming the collective and the rank, never a hang. (Async work handed
// to JS as a promise is a follow-up.)
//
// Compiled in when CMake found c10d's Gloo headers (TT_DISTRIBUTED_GLOO: the PyPI wheel's c10d plus
// Debian's libgloo-dev for gloo/*.h); NCCL when the build is CUDA-enabled and nccl.h was found
// (TT_DISTRIBUTED_NCCL). Without them every binding throws a clear error instead.
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "boundary.h"
#include "compat.h"

#if defined(TT_DISTRIBUTED_GLOO)
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "gradient_reducer.h"
#endif
#if defined(TT_DISTRIBUTED_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace tt {
void registerDistributed(Napi::Env env, Napi::Object exports);
}

namespace {

[[noreturn]] void notCompiled(const std::string& what) {
  throw std::runtime_error(what + " is not available in this build of torchtrain: distributed needs the PyPI libtorch "
                           "(or a libtorch with c10d) and gloo's headers at build time. Fix: apt-get install libgloo-dev, "
                           "then rebuild with `npm run build:native`.");
}

#if defined(TT_DISTRIBUTED_GLOO)

// ProcessGroupGloo and ProcessGroupNCCL share this base: c10d::Backend in 2.x, ProcessGroup in 1.13.
#if TT_TORCH_AT_LEAST(2, 0)
using Backend = c10d::Backend;
#else
using Backend = c10d::ProcessGroup;
#endif

// One environment's process group: the store it met its peers through and the backend itself.
struct ProcessGroupState {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Backend> backend;
  std::string backendName;
  int rank = 0;
  int worldSize = 1;
  std::chrono::milliseconds timeout{0};
  // The Trainer's gradient reducer (overlapped with backward), at most one per group.
  std::shared_ptr<tt::dist::GradientReducer> reducer;
};

// Keyed by the environment's state: each JS thread has its own group (like each Python process),
// removed by the environment's cleanup hook (registerDistributed), before the state itself goes.
std::mutex groupsMutex;
std::unordered_map<const tt::EnvState*, std::unique_ptr<ProcessGroupState>> groups;

ProcessGroupState* findGroup(const tt::EnvState& s) {
  std::lock_guard<std::mutex> lock(groupsMutex);
  auto it = groups.find(&s);
  return it == groups.end() ? nullptr : it->second.get();
}

ProcessGroupState& requireGroup(tt::Args& a) {
  ProcessGroupState* g = findGroup(a.state());
  if (!g) {
    throw std::runtime_error(std::string("distributed.") + a.fn() +
                             ": the default process group is not initialized; call distributed.initProcessGroup() first "
                             "(under torchrun: torchrun --nproc-per-node 2 --no-python npx tsx train.ts)");
  }
  return *g;
}

std::string describe(const ProcessGroupState& g) {
  return "rank " + std::to_string(g.rank) + " of " + std::to_string(g.worldSize) + ", " + g.backendName;
}

std::string reason(const std::exception& e) {
  if (auto* c10 = dynamic_cast<const c10::Error*>(&e)) return tt::firstLine(c10->what_without_backtrace());
  return tt::firstLine(e.what());
}

// Starts a collective and waits for its work within the group's timeout. The backend refusing the
// call up front (a dtype it cannot reduce) leaves the group usable; a failure while waiting may be
// a peer that died or a timeout, after which it is not, and the error says so. Both name the
// collective and this rank.
void await(ProcessGroupState& g, const char* collective, const std::function<c10::intrusive_ptr<c10d::Work>()>& start) {
  c10::intrusive_ptr<c10d::Work> work;
  try {
    work = start();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("distributed.") + collective + " was refused on " + describe(g) + ": " + reason(e));
  }
  try {
    if (!work->wait(g.timeout)) throw std::runtime_error("timed out");
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("distributed.") + collective + " failed on " + describe(g) + " (timeout " +
                             std::to_string(g.timeout.count()) + " ms): " + reason(e) +
                             ". A peer process may have died or not called the same collective; after a timeout or a lost "
                             "peer the process group is no longer usable: call distributed.destroyProcessGroup() and exit "
                             "(torchrun restarts the job with --max-restarts).");
  }
}

c10d::ReduceOp reduceOp(tt::Args& a, size_t i, const std::string& name) {
  if (name == "sum" || name == "mean") return c10d::ReduceOp::SUM;
  if (name == "max") return c10d::ReduceOp::MAX;
  if (name == "min") return c10d::ReduceOp::MIN;
  if (name == "product") return c10d::ReduceOp::PRODUCT;
  a.rangeError(i, "must be 'sum', 'mean', 'max', 'min' or 'product', got '" + name + "'");
}

// A mean is a sum divided by the world size (Gloo has no AVG); only floating tensors have one.
void checkMeanDtype(tt::Args& a, size_t i, const std::string& op, const at::Tensor& t) {
  if (op == "mean" && !at::isFloatingType(t.scalar_type()))
    a.rangeError(i, "'mean' needs a floating tensor, got " + tt::dtypeName(t.scalar_type()) +
                        "; reduce with 'sum' and divide, or convert the tensor to float32 first");
}

// Gloo works on dense contiguous tensors of the group's device. The collectives run on `t` itself
// when it is contiguous; otherwise on a contiguous copy, written back afterwards.
at::Tensor dense(const at::Tensor& t) { return t.is_contiguous() ? t : t.contiguous(); }

TT_BINDING(distInitProcessGroup) {
  a.atLeast(7);
  std::string backendName = a.string(0);
  int64_t rank = a.int64(1), worldSize = a.int64(2);
  std::string masterAddr = a.string(3);
  int64_t masterPort = a.int64(4);
  double timeoutMs = a.number(5);
  bool useAgentStore = a.boolean(6);
  std::string prefix = a.has(7) ? a.string(7) : "";
  std::vector<std::string> interfaces;
  if (a.has(8)) {
    if (!a[8].IsArray()) a.typeError(8, "an array of network interface names");
    Napi::Array list = a[8].As<Napi::Array>();
    for (uint32_t k = 0; k < list.Length(); k++) {
      Napi::Value name = list.Get(k);
      if (!name.IsString()) a.typeError(8, "an array of network interface names (strings)");
      interfaces.push_back(name.As<Napi::String>().Utf8Value());
    }
  }
  if (backendName != "gloo" && backendName != "nccl") a.rangeError(0, "must be 'gloo' or 'nccl', got '" + backendName + "'");
  if (worldSize < 1 || worldSize > (1 << 20)) a.rangeError(2, "must be a world size >= 1, got " + std::to_string(worldSize));
  if (rank < 0 || rank >= worldSize) a.rangeError(1, "must be a rank in 0.." + std::to_string(worldSize - 1) + ", got " + std::to_string(rank));
  if (masterPort < 1 || masterPort > 65535) a.rangeError(4, "must be a TCP port in 1..65535, got " + std::to_string(masterPort));
  if (!(timeoutMs >= 1 && timeoutMs <= 1e10)) a.rangeError(5, "must be a timeout in milliseconds >= 1");
  if (findGroup(a.state())) {
    throw std::runtime_error("distributed.initProcessGroup: the default process group is already initialized; "
                             "call distributed.destroyProcessGroup() before initializing another");
  }
  auto state = std::make_unique<ProcessGroupState>();
  state->backendName = backendName;
  state->rank = static_cast<int>(rank);
  state->worldSize = static_cast<int>(worldSize);
  state->timeout = std::chrono::milliseconds(static_cast<int64_t>(timeoutMs));
  try {
    c10d::TCPStoreOptions storeOptions;
    storeOptions.port = static_cast<uint16_t>(masterPort);
    // Under torchrun's elastic agent the agent already runs the store: every rank is a client.
    storeOptions.isServer = rank == 0 && !useAgentStore;
    storeOptions.numWorkers = static_cast<size_t>(worldSize);
    storeOptions.waitWorkers = false;  // the backend's own rendezvous waits for every rank
    storeOptions.timeout = state->timeout;
    storeOptions.multiTenant = true;   // a second group after destroy may reuse the port (as in Python)
    c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(masterAddr, storeOptions);
    if (!prefix.empty()) store = c10::make_intrusive<c10d::PrefixStore>(prefix, store);
    state->store = store;
    auto groupStore = c10::make_intrusive<c10d::PrefixStore>("torchtrain/default_pg/", store);
    if (backendName == "gloo") {
      auto options = c10d::ProcessGroupGloo::Options::create(state->timeout);
      // As Python's torch.distributed: GLOO_SOCKET_IFNAME's interfaces, else this host's address.
      if (interfaces.empty()) options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      for (const auto& name : interfaces) options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
      state->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(groupStore, state->rank, state->worldSize, options);
    } else {
#if defined(TT_DISTRIBUTED_NCCL)
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = state->timeout;
      state->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(groupStore, state->rank, state->worldSize, options);
#else
      notCompiled("the 'nccl' backend (it needs a CUDA-enabled libtorch and NCCL's nccl.h at build time, "
                  "from the nvidia-nccl wheel)");
#endif
    }
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (auto* c10 = dynamic_cast<const c10::Error*>(&e)) why = c10->what_without_backtrace();
    throw std::runtime_error("distributed.initProcessGroup failed on rank " + std::to_string(rank) + " of " +
                             std::to_string(worldSize) + " (" + backendName + ", store " + masterAddr + ":" +
                             std::to_string(masterPort) + ", timeout " + std::to_string(state->timeout.count()) +
                             " ms): " + tt::firstLine(why) +
                             ". Check that every rank started with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE "
                             "and that rank 0 (or torchrun's agent) is reachable.");
  }
  std::lock_guard<std::mutex> lock(groupsMutex);
  groups[&a.state()] = std::move(state);
  return a.undefined();
}

TT_BINDING(distIsInitialized) { return a.ret(findGroup(a.state()) != nullptr); }

TT_BINDING(distGroupInfo) {
  ProcessGroupState& g = requireGroup(a);
  Napi::Object out = Napi::Object::New(a.env());
  out.Set("rank", g.rank);
  out.Set("worldSize", g.worldSize);
  out.Set("backend", g.backendName);
  out.Set("timeoutMs", static_cast<double>(g.timeout.count()));
  return out;
}

TT_BINDING(distDestroyProcessGroup) {
  std::unique_ptr<ProcessGroupState> gone;
  {
    std::lock_guard<std::mutex> lock(groupsMutex);
    auto it = groups.find(&a.state());
    if (it != groups.end()) {
      gone = std::move(it->second);
      groups.erase(it);
    }
  }
  gone.reset();  // outside the lock: the backend's destructor joins its worker threads
  return a.undefined();
}

// allReduce(t, op): in place, as torch.distributed.all_reduce.
TT_BINDING(distAllReduce) {
  ProcessGroupState& g = requireGroup(a);
  const at::Tensor& t = a.tensor(0);
  std::string op = a.string(1);
  c10d::AllreduceOptions opts;
  opts.reduceOp = reduceOp(a, 1, op);
  opts.timeout = g.timeout;
  checkMeanDtype(a, 1, op, t);
  std::vector<at::Tensor> tensors{dense(t)};
  await(g, "allReduce", [&] { return g.backend->allreduce(tensors, opts); });
  if (op == "mean") tensors[0].div_(g.worldSize);
  if (!tensors[0].is_same(t)) t.copy_(tensors[0]);
  return a.undefined();
}

// broadcast(t, src): in place.
TT_BINDING(distBroadcast) {
  ProcessGroupState& g = requireGroup(a);
  const at::Tensor& t = a.tensor(0);
  int64_t src = a.int64(1);
  if (src < 0 || src >= g.worldSize) a.rangeError(1, "must be a rank in 0.." + std::to_string(g.worldSize - 1) + ", got " + std::to_string(src));
  c10d::BroadcastOptions opts;
  opts.rootRank = src;
  opts.timeout = g.timeout;
  std::vector<at::Tensor> tensors{dense(t)};
  await(g, "broadcast", [&] { return g.backend->broadcast(tensors, opts); });
  if (!tensors[0].is_same(t)) t.copy_(tensors[0]);
  return a.undefined();
}

// allGather(t): one new tensor per rank, in rank order.
TT_BINDING(distAllGather) {
  ProcessGroupState& g = requireGroup(a);
  at::Tensor t = dense(a.tensor(0));
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < g.worldSize; r++) outputs[0].push_back(at::empty_like(t, at::MemoryFormat::Contiguous));
  std::vector<at::Tensor> inputs{t};
  c10d::AllgatherOptions opts;
  opts.timeout = g.timeout;
  await(g, "allGather", [&] { return g.backend->allgather(outputs, inputs, opts); });
  return a.ret(outputs[0]);
}

// reduceScatter(output, inputs, op): rank r's output gets the reduction over ranks of inputs[r].
TT_BINDING(distReduceScatter) {
  ProcessGroupState& g = requireGroup(a);
  const at::Tensor& output = a.tensor(0);
  std::vector<at::Tensor> inputs = a.tensors(1);
  std::string op = a.string(2);
  c10d::ReduceOp reduction = reduceOp(a, 2, op);
  checkMeanDtype(a, 2, op, output);
  if (static_cast<int>(inputs.size()) != g.worldSize)
    a.rangeError(1, "must hold one tensor per rank (" + std::to_string(g.worldSize) + "), got " + std::to_string(inputs.size()));
  for (size_t k = 0; k < inputs.size(); k++) {
    if (inputs[k].sizes() != output.sizes() || inputs[k].scalar_type() != output.scalar_type())
      a.rangeError(1, "[" + std::to_string(k) + "] must have the output's shape and dtype");
    inputs[k] = dense(inputs[k]);
  }
  at::Tensor result = dense(output);
#if TT_TORCH_AT_LEAST(2, 0)
  std::vector<at::Tensor> outputs{result};
  std::vector<std::vector<at::Tensor>> inputLists{inputs};
  c10d::ReduceScatterOptions opts;
  opts.reduceOp = reduction;
  opts.timeout = g.timeout;
  await(g, "reduceScatter", [&] { return g.backend->reduce_scatter(outputs, inputLists, opts); });
#else
  // 1.13's Gloo has no reduce_scatter: all-reduce every rank's chunks at once, keep our own.
  std::vector<at::Tensor> stacked{at::stack(inputs)};
  c10d::AllreduceOptions opts;
  opts.reduceOp = reduction;
  opts.timeout = g.timeout;
  await(g, "reduceScatter", [&] { return g.backend->allreduce(stacked, opts); });
  result.copy_(stacked[0][g.rank]);
#endif
  if (op == "mean") result.div_(g.worldSize);
  if (!result.is_same(output)) output.copy_(result);
  return a.undefined();
}

TT_BINDING(distBarrier) {
  ProcessGroupState& g = requireGroup(a);
  c10d::BarrierOptions opts;
  opts.timeout = g.timeout;
  await(g, "barrier", [&] { return g.backend->barrier(opts); });
  return a.undefined();
}

// Gradient all-reduce overlapped with backward (gradient_reducer.h). attach(params, bucketSizes):
// the parameters in bucket order, consecutive runs of bucketSizes[k] forming bucket k; replaces
// the group's previous reducer. arm() before the backward of a window's last micro-batch,
// finalize() after it (waits, writes the sums into .grad; returns the buckets started during backward), detach() to drop it.
TT_BINDING(distReducerAttach) {
  ProcessGroupState& g = requireGroup(a);
  std::vector<at::Tensor> params = a.tensors(0);
  std::vector<int64_t> sizes = a.ints(1);
  std::vector<std::vector<size_t>> buckets;
  size_t next = 0;
  for (size_t k = 0; k < sizes.size(); k++) {
    if (sizes[k] < 1 || next + sizes[k] > params.size()) a.rangeError(1, "must be bucket sizes >= 1 that add up to the number of parameters");
    std::vector<size_t> bucket;
    for (int64_t j = 0; j < sizes[k]; j++, next++) {
      const at::Tensor& p = params[next];
      if (!p.requires_grad() || !p.is_leaf()) a.rangeError(0, "[" + std::to_string(next) + "] must be a leaf tensor that requires grad (a parameter)");
      if (!bucket.empty() && (p.scalar_type() != params[bucket[0]].scalar_type() || p.device() != params[bucket[0]].device()))
        a.rangeError(1, "bucket " + std::to_string(k) + " mixes dtypes or devices");
      bucket.push_back(next);
    }
    buckets.push_back(std::move(bucket));
  }
  if (next != params.size()) a.rangeError(1, "must add up to the number of parameters (" + std::to_string(params.size()) + "), got " + std::to_string(next));
  auto reducer = std::make_shared<tt::dist::GradientReducer>(g.backend, g.timeout, std::move(params), std::move(buckets));
  reducer->installHooks();
  g.reducer = reducer;
  return a.ret(static_cast<double>(reducer->buckets()));
}

tt::dist::GradientReducer& requireReducer(tt::Args& a, ProcessGroupState& g) {
  if (!g.reducer) throw std::runtime_error(std::string("distributed.") + a.fn() + ": no gradient reducer is attached to the process group");
  return *g.reducer;
}

TT_BINDING(distReducerArm) {
  ProcessGroupState& g = requireGroup(a);
  requireReducer(a, g).arm();
  return a.undefined();
}

TT_BINDING(distReducerFinalize) {
  ProcessGroupState& g = requireGroup(a);
  tt::dist::GradientReducer& r = requireReducer(a, g);
  size_t duringBackward = 0;
  try {
    duringBackward = r.finalize();
  } catch (const std::exception& e) {
    throw std::runtime_error("distributed gradient all-reduce (overlapped with backward) failed on " + describe(g) + " (timeout " +
                             std::to_string(g.timeout.count()) + " ms): " + reason(e) +
                             ". A peer process may have died or not trained the same model; after a timeout or a lost peer the "
                             "process group is no longer usable.");
  }
  return a.ret(static_cast<double>(duringBackward));
}

TT_BINDING(distReducerDetach) {
  ProcessGroupState* g = findGroup(a.state());
  if (g) g->reducer.reset();
  return a.undefined();
}

TT_BINDING(distBackends) {
  Napi::Array out = Napi::Array::New(a.env());
  out.Set(0u, "gloo");
#if defined(TT_DISTRIBUTED_NCCL)
  out.Set(1u, "nccl");
#endif
  return out;
}

#else  // no c10d in this build: every binding explains why

TT_BINDING(distInitProcessGroup) { notCompiled("distributed.initProcessGroup"); }
TT_BINDING(distIsInitialized) { return a.ret(false); }
TT_BINDING(distGroupInfo) { notCompiled("distributed"); }
TT_BINDING(distDestroyProcessGroup) { return a.undefined(); }
TT_BINDING(distAllReduce) { notCompiled("distributed.allReduce"); }
TT_BINDING(distBroadcast) { notCompiled("distributed.broadcast"); }
TT_BINDING(distAllGather) { notCompiled("distributed.allGather"); }
TT_BINDING(distReduceScatter) { notCompiled("distributed.reduceScatter"); }
TT_BINDING(distBarrier) { notCompiled("distributed.barrier"); }
TT_BINDING(distBackends) { return Napi::Array::New(a.env()); }
TT_BINDING(distReducerAttach) { notCompiled("distributed training"); }
TT_BINDING(distReducerArm) { notCompiled("distributed training"); }
TT_BINDING(distReducerFinalize) { notCompiled("distributed training"); }
TT_BINDING(distReducerDetach) { return a.undefined(); }

#endif

}  // namespace

namespace tt {
void registerDistributed(Napi::Env env, Napi::Object exports) {
#if defined(TT_DISTRIBUTED_GLOO)
  // The group goes before the environment's state does (cleanup hooks run last-registered first).
  const EnvState* key = &state();
  env.AddCleanupHook([key]() {
    std::unique_ptr<ProcessGroupState> gone;
    {
      std::lock_guard<std::mutex> lock(groupsMutex);
      auto it = groups.find(key);
      if (it == groups.end()) return;
      gone = std::move(it->second);
      groups.erase(it);
    }
  });
#else
  (void)env;
#endif
  TT_EXPORT(exports, distInitProcessGroup);
  TT_EXPORT(exports, distIsInitialized);
  TT_EXPORT(exports, distGroupInfo);
  TT_EXPORT(exports, distDestroyProcessGroup);
  TT_EXPORT(exports, distAllReduce);
  TT_EXPORT(exports, distBroadcast);
  TT_EXPORT(exports, distAllGather);
  TT_EXPORT(exports, distReduceScatter);
  TT_EXPORT(exports, distBarrier);
  TT_EXPORT(exports, distBackends);
  TT_EXPORT(exports, distReducerAttach);
  TT_EXPORT(exports, distReducerArm);
  TT_EXPORT(exports, distReducerFinalize);
  TT_EXPORT(exports, distReducerDetach);
}
}  // namespace tt
